"""The reliability suite: ``make stress`` (``python -m tests.stress.run``).

Each part starts real Hypercorn servers with the shipped ``hypercorn.toml``
(``tests.support.live``, through the bench's ``serving``), attacks them, and
reports figures, tables and PASS/FAIL verdicts: the core's parts
(``hostile``, ``fuzz``, ``openapi``), then each installed sample's
(``app/**/tests/stress_*.py``: ``load``, ``signals``, ``websockets``):

- ``hostile``: the hostile-input catalogue on raw sockets (framing, smuggling,
  header floods, slow clients, YAML and JSON bombs, Unicode, huge numbers),
  with ``/healthz`` probed on a 20 ms schedule and the server's memory
  before and after;
- ``fuzz``: hypothesis on the body loader and the response encoders, in process;
- ``openapi``: schemathesis against ``/openapi.json`` (``tests.stress.openapi_fuzz``);
- ``load``: mixed reads and writes on the address book at ``STRESS_CONNECTIONS``
  for ``STRESS_DURATION`` s on SQLite and on PostgreSQL, then the read-back:
  5xx, errors, lost and duplicated writes, one winner per ``If-Match`` version;
- ``signals``: SIGTERM, then SIGKILL, in the middle of that load, and requests
  sent on kept-alive connections 20-120 ms after SIGTERM, then the read-back:
  nothing executed without a response, nothing acknowledged lost;
- ``websockets``: unfinished fragmented messages (memory), silent sockets
  (closed by the app with 1001, not cut by the server), a storm of ``/ws/chat``
  handshakes behind the password check, protocol errors (1002, 1007).

Environment: ``STRESS_ONLY`` names parts, comma-separated (all if unset);
``STRESS_SHORT=1`` shrinks the sizes for CI; each size has its own variable
(``tests.stress.parts.Sizes``): ``STRESS_DURATION`` (s of load per
database, 60; short 10), ``STRESS_CONNECTIONS`` (50), ``STRESS_SIGNAL_DURATION``
(12; 5), ``STRESS_WS_HANDSHAKES`` (1,000; 300), ``STRESS_WS_FRAGMENTED``
(20), ``STRESS_WS_IDLE_S`` (5; 3), ``STRESS_EXAMPLES`` (hypothesis, 1,000;
150), ``STRESS_BIG_EXAMPLES`` (bodies near the size limit, 40; 6),
``STRESS_OPENAPI_EXAMPLES`` (100; 10), and ``STRESS_FUZZ_DEADLINE_MS``
(500). PostgreSQL joins when ``BENCH_DATABASE_URL`` or, if that is unset,
``TEST_DATABASE_URL`` names a server (``tests.bench.databases``).
``STRESS_KEEP=1`` keeps the scratch folder (servers' logs, SQLite files),
which a FAIL or an error keeps anyway; its path is printed. Each part's
section is printed as soon as it ends, the summary and verdicts at the end.
The figures are latencies of a real server on the same machine: other work
there shows in them, so the report gives the load average at the start and
at the end. Exit 1 on any FAIL, or when a server or a database fails to
start.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Final

from tests.bench import BenchError
from tests.bench.parts import Section, chosen, found, table
from tests.stress import fuzz, hostile, openapi
from tests.stress.parts import Sizes, Stress, progress
from tests.support.live import ROOT

# The core's parts, then each sample's (``app/**/tests/stress_*.py``).
CORE_PARTS: Final = (hostile.PART, fuzz.PART, openapi.PART)
SAMPLE_PARTS: Final = "app/**/tests/stress_*.py"
SUMMARY: Final = (
    "requests",
    "cases",
    "examples",
    "5xx",
    "lost",
    "duplicated",
    "healthz_max_ms",
)


def summary(sections: dict[str, Section]) -> list[str]:
    """The headline figures of each part that has them, as a table."""
    rows: list[Sequence[str]] = [("part", *SUMMARY)]
    for name, section in sections.items():
        if any(key in section.figures for key in SUMMARY):
            rows.append((name, *(_cell(section.figures.get(key)) for key in SUMMARY)))
    return table(rows) if len(rows) > 1 else []


def _cell(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # SystemExit unwinds through the finally blocks that stop the servers.
    sys.exit(128 + signum)


def say(text: str) -> None:
    """The report, on stdout."""
    print(text, flush=True)  # noqa: T201 - the report is what this prints


def main() -> int:
    """Run the chosen parts; print the report; 1 on any FAIL.

    The scratch folder (servers' logs, SQLite files) is removed after a clean
    run, and kept, its path printed, after a FAIL, an error, or with
    ``STRESS_KEEP=1``.
    """
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    folder = Path(tempfile.mkdtemp(prefix="stress-"))
    code = 1
    try:
        code = _run(folder)
    finally:
        if code or os.environ.get("STRESS_KEEP", "") not in ("", "0"):
            progress(f"logs and databases kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return code


def _run(folder: Path) -> int:
    """Each part's section as it completes, then the summary and the verdicts."""
    started = time.monotonic()
    sections: dict[str, Section] = {}
    try:
        sizes = Sizes.from_environment()
        stress = Stress(folder, sizes)
        say(
            f"stress: on {os.cpu_count()} CPUs, load average {_load()} at the start "
            "(other work on the machine skews latencies)\n"
        )
        for part in chosen(found(CORE_PARTS, SAMPLE_PARTS, ROOT), "STRESS_ONLY"):
            progress(f"{part.name}: {part.about}")
            sections[part.name] = part.run(stress)
            say(sections[part.name].text + "\n")
    except BenchError as error:
        progress(str(error))
        return 1
    verdicts = {k: v for s in sections.values() for k, v in s.verdicts.items()}
    say(f"load average {_load()} at the end")
    say("\nsummary:\n" + "\n".join(summary(sections)))
    if verdicts:
        say("\nverdicts:\n" + "\n".join(table([(v, k) for k, v in verdicts.items()])))
    failed = sum(v == "FAIL" for v in verdicts.values())
    say(
        f"\n{len(verdicts) - failed} PASS, {failed} FAIL "
        f"in {time.monotonic() - started:.0f} s"
        f"{' (STRESS_SHORT)' if sizes.short else ''}"
    )
    return 1 if failed else 0


def _load() -> str:
    return ", ".join(f"{figure:.1f}" for figure in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
