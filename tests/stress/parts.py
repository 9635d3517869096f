"""What a part of the stress suite gets, and the sizes it reads from the environment.

A part is the bench's ``Part(name, about, run)``; ``run(stress)`` returns the
bench's ``Section``: JSON-ready figures, PASS/FAIL verdicts and the report's text.
Figures named ``requests``, ``cases``, ``examples``, ``5xx``, ``lost``,
``duplicated`` and ``healthz_max_ms`` also go into the summary table at the
end of the report.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tests.bench import parts
from tests.bench.parts import whole_number
from tests.support.live import ROOT

# Server memory after (or during) an attack, at most this many times idle.
RSS_BOUND: Final = 1.5


@dataclass(frozen=True)
class Sizes:
    """How big and how long each part is; ``STRESS_SHORT=1`` picks CI's sizes."""

    short: bool
    duration: int  # seconds of mixed load per database
    connections: int  # concurrent connections of the mixed load
    signal_duration: int  # seconds of load around each SIGTERM and SIGKILL
    handshakes: int  # concurrent /ws/chat handshakes
    fragmented: int  # sockets each sending an unfinished fragmented message
    examples: int  # hypothesis examples per property
    big_examples: int  # examples of the property on bodies near the size limit
    openapi_examples: int  # examples per operation for the OpenAPI fuzz
    idle_s: int  # WS_IDLE_TIMEOUT for the silent-socket checks

    @classmethod
    def from_environment(cls) -> Sizes:
        """``STRESS_*`` variables, each defaulting by ``STRESS_SHORT``."""
        short = os.environ.get("STRESS_SHORT", "") not in ("", "0")

        def pick(full: int, quick: int) -> int:
            return quick if short else full

        return cls(
            short=short,
            duration=whole_number("STRESS_DURATION", pick(60, 10)),
            connections=whole_number("STRESS_CONNECTIONS", 50),
            signal_duration=whole_number("STRESS_SIGNAL_DURATION", pick(12, 5)),
            handshakes=whole_number("STRESS_WS_HANDSHAKES", pick(1000, 100)),
            fragmented=whole_number("STRESS_WS_FRAGMENTED", 20),
            examples=whole_number("STRESS_EXAMPLES", pick(1000, 150)),
            big_examples=whole_number("STRESS_BIG_EXAMPLES", pick(40, 6)),
            openapi_examples=whole_number("STRESS_OPENAPI_EXAMPLES", pick(100, 10)),
            idle_s=whole_number("STRESS_WS_IDLE_S", pick(5, 3)),
        )


@dataclass(frozen=True)
class Stress:
    """What every part gets: a scratch folder (logs, databases) and the sizes."""

    folder: Path
    sizes: Sizes


# A part of the suite: the bench's ``Part``, run with a ``Stress``.
Part = parts.Part[Stress]


def progress(message: str) -> None:
    """One line on stderr, so that a long run shows where it is."""
    print(f"stress: {message}", file=sys.stderr, flush=True)  # noqa: T201


def installed(sample: str) -> bool:
    """Whether a sample is still in the tree (``make strip-samples`` removes them)."""
    return (ROOT / "app" / "samples" / sample / "__init__.py").is_file()
