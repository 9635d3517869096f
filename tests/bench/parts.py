"""What a part of the bench is, what it gets, and what it gives back.

A part is ``Part(name, about, run)``; ``run(bench)`` measures and returns a
``Section``: JSON-ready figures, PASS/FAIL verdicts and the report's text.
The core's parts live in this folder; a sample's lives in its own
``tests/bench_<name>.py`` as a module-level ``PART``, so that removing the
sample removes its part.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from tests.bench import BenchError
from tests.bench.serve import BARE, KIT, Target, skeleton
from tests.bench.wrk import find_wrk


@dataclass
class Bench:
    """What every part gets: a folder for logs and databases, and the settings.

    ``rounds`` wrk rounds of ``duration`` seconds per job. wrk is looked for,
    and the skeleton made, when a part first asks.
    """

    folder: Path
    rounds: int
    duration: int

    @functools.cached_property
    def wrk(self) -> str:
        """The path of wrk; ``BenchError`` naming what to install if missing."""
        return find_wrk()

    @functools.cached_property
    def targets(self) -> tuple[Target, Target, Target]:
        """The kit, its skeleton (a stripped copy) and the bare app, in that order."""
        progress("copying the tree and stripping its samples for the skeleton")
        return KIT, skeleton(self.folder / "skeleton"), BARE


@dataclass(frozen=True)
class Section:
    """What a part found: figures for the JSON, verdicts, text for the report."""

    figures: dict[str, Any]
    verdicts: dict[str, str]
    text: str


Context = TypeVar("Context")


@dataclass(frozen=True)
class Part(Generic[Context]):
    """A part of the bench (or the stress suite), by the name ``*_ONLY`` uses."""

    name: str
    about: str  # what it does and how long it takes, for the progress line
    run: Callable[[Context], Section]


def found(
    core: Sequence[Part[Context]], pattern: str, root: Path
) -> list[Part[Context]]:
    """The core's parts, then the ``PART`` of each module ``pattern`` matches.

    A sample brings its parts in its own folder (``app/samples/<name>/tests``),
    so that removing the sample removes them.
    """
    parts = list(core)
    for path in sorted(root.glob(pattern)):
        module = importlib.import_module(
            ".".join(path.relative_to(root).with_suffix("").parts)
        )
        if not isinstance(part := getattr(module, "PART", None), Part):
            raise BenchError(f"{path.relative_to(root)} has no PART = Part(...)")
        parts.append(part)
    return parts


def chosen(available: Sequence[Part[Context]], variable: str) -> list[Part[Context]]:
    """The parts that ``variable`` names, in report order; all if it is unset."""
    names = {n.strip() for n in os.environ.get(variable, "").split(",")} - {""}
    if unknown := names - {part.name for part in available}:
        raise BenchError(
            f"{variable}: unknown part {', '.join(sorted(unknown))}; choose from "
            + ", ".join(part.name for part in available)
        )
    return [part for part in available if part.name in names or not names]


def progress(message: str) -> None:
    """One line on stderr, so that a long run shows where it is."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def number(name: str, default: float) -> float:
    """A positive number from the environment variable ``name``."""
    raw = os.environ.get(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise BenchError(f"{name} must be a positive number, got {raw!r}")
    return value


def whole_number(name: str, default: int) -> int:
    """A whole number of at least 1 from the environment variable ``name``."""
    value = number(name, default)
    if value != int(value):
        raise BenchError(f"{name} must be a whole number, got {value:g}")
    return int(value)


def verdict(passed: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if passed else "FAIL"


def table(rows: Sequence[Sequence[str]], left: int = 1) -> list[str]:
    """Rows as aligned lines: the first ``left`` columns to the left, the rest right."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) if column < left else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
