"""Read ``/metrics``: Prometheus's text format as ``{(name, labels): value}``.

Parsed here rather than with prometheus-client's parser: importing
prometheus-client before an app has named its folder of values would leave
the process out of multiprocess mode (``app.core.metrics``).
"""

from __future__ import annotations

import re
from typing import Final

SAMPLE: Final = re.compile(
    r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$"
)
LABEL: Final = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

Labels = frozenset[tuple[str, str]]


def samples(text: str) -> dict[tuple[str, Labels], float]:
    """Every sample of an exposition, by name and labels."""
    found = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample: {line!r}"
        labels = frozenset(LABEL.findall(match["labels"] or ""))
        found[match["name"], labels] = float(match["value"])
    return found


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name`` with exactly ``labels``; 0 if there is none yet."""
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def label_values(text: str, name: str, label: str) -> set[str]:
    """Every value that ``label`` takes in the samples of ``name``."""
    return {
        dict(labels)[label]
        for (found, labels) in samples(text)
        if found == name and label in dict(labels)
    }
