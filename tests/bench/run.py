"""Load-test the kit against bare Quart: ``make bench`` (``python -m tests.bench.run``).

Three targets, each served as ``make run`` serves the kit, by
``tests.support.live``: ``kit`` (this tree), ``skeleton`` (this tree copied
and stripped of its samples, which keeps ``/healthz``, ``/readyz`` and
``/openapi.json``) and ``bare`` (``tests.bench.baseline``, plain Quart). The
parts, in report order, each described in its module:

- ``start``: cold start, stop, ``/healthz`` throughput and memory of all three;
- ``api``: the kit against bare, endpoint by endpoint, and auth timing;
- ``workers``: the kit with two worker processes against one;
- ``observability``: metrics and JSON logs on ``/api``, each against off;
- ``instructions``: callgrind's count of each start and request;
- each sample's own part, ``PART`` in ``app/**/tests/bench_*.py``, in path
  order (``addresses``, ``images``, ``webhooks``), gone when the samples are
  stripped.

Environment: ``BENCH_ONLY`` names parts to run, comma-separated (all if
unset); ``BENCH_ROUNDS`` (default 8) wrk rounds of ``BENCH_DURATION``
seconds (default 3) per target and endpoint; ``BENCH_DATABASE_URL`` or
``TEST_DATABASE_URL``, a PostgreSQL server for the samples' parts; the
samples' parts read more (``BENCH_ADDRESS_ROUNDS``, ``BENCH_IMAGE_UPLOADS``,
``BENCH_WEBHOOKS``, ``BENCH_WEBHOOK_WINDOW``).

It needs wrk (``apt-get install wrk`` or ``brew install wrk``) for every part
but ``instructions``, which needs valgrind; it installs nothing. With the
defaults it takes about 20 minutes on 2 cores (``start`` 2, ``api`` 4,
``observability`` 6, ``instructions`` 4, each sample's part 1 to 2 per
database);
``BENCH_ROUNDS=2 BENCH_DURATION=1 BENCH_WEBHOOKS=1000`` is a quick look. The
project's bytecode is written first, as the first start does on most
machines. The bench reports, it does not gate: a missed target still exits
0; it exits 1 when wrk is missing or fails, a server does not start or dies,
or a named database does not answer. The figures also go to
``tests/bench/results/latest.json`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Any, Final

from tests.bench import BenchError, api, instructions, observability, start, workers
from tests.bench.parts import (
    Bench,
    Part,
    Section,
    chosen,
    found,
    progress,
    whole_number,
)
from tests.bench.serve import compile_bytecode
from tests.bench.wrk import FLAGS, WARMUP_S
from tests.support.live import ROOT

RESULTS: Final = ROOT / "tests" / "bench" / "results" / "latest.json"
SAMPLE_PARTS: Final = "app/**/tests/bench_*.py"


def parts(root: Path = ROOT) -> list[Part[Bench]]:
    """The core's parts, then each sample's ``PART``, in path order."""
    core = [start.PART, api.PART, workers.PART, observability.PART, instructions.PART]
    return found(core, SAMPLE_PARTS, root)


def measure() -> tuple[dict[str, Any], dict[str, Section]]:
    """Run the chosen parts: the settings, and each part's section by name."""
    chosen_parts = chosen(parts(), "BENCH_ONLY")
    rounds = whole_number("BENCH_ROUNDS", 8)
    duration = whole_number("BENCH_DURATION", 3)
    settings = {
        "parts": [part.name for part in chosen_parts],
        "rounds": rounds,
        "duration_s": duration,
        "warmup_s": WARMUP_S,
        "wrk": FLAGS,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    compile_bytecode()
    sections: dict[str, Section] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        bench = Bench(Path(folder), rounds, duration)
        for part in chosen_parts:
            progress(f"{part.name}: {part.about}")
            sections[part.name] = part.run(bench)
    return settings, sections


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # SystemExit unwinds through the finally blocks that stop the servers.
    sys.exit(128 + signum)


def main() -> int:
    """Run the bench; print the report and write the JSON."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        settings, sections = measure()
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    print("\n\n".join(section.text for section in sections.values()))
    verdicts = {k: v for s in sections.values() for k, v in s.verdicts.items()}
    if verdicts:
        print("\nverdicts: " + ", ".join(f"{k} {v}" for k, v in verdicts.items()))
    summary = {
        "settings": settings,
        **{name: section.figures for name, section in sections.items()},
        "verdicts": verdicts,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
