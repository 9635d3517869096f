"""The reliability suite: ``make stress`` (``python -m tests.stress.run``).

Each part starts real Hypercorn servers with the shipped ``hypercorn.toml``
(``tests.support.live``, through the bench's ``serving``), attacks them, and
reports figures, tables and PASS/FAIL verdicts, in this order:

- ``load``: mixed reads and writes on the address book at ``STRESS_CONNECTIONS``
  for ``STRESS_DURATION`` s on SQLite and on PostgreSQL, then the read-back:
  5xx, errors, lost and duplicated writes, one winner per ``If-Match`` version;
- ``signals``: SIGTERM, then SIGKILL, in the middle of that load, and requests
  sent on kept-alive connections 20-120 ms after SIGTERM, then the read-back:
  nothing executed without a response, nothing acknowledged lost;
- ``websockets``: unfinished fragmented messages (memory), silent sockets
  (closed by the app with 1001, not cut by the server), a storm of ``/ws/chat``
  handshakes behind the password check, protocol errors (1002, 1007);
- ``hostile``: the hostile-input catalogue on raw sockets (framing, smuggling,
  header floods, slow clients, YAML and JSON bombs, Unicode, huge numbers),
  with ``/healthz`` probed every 20 ms and the server's memory before and after;
- ``fuzz``: hypothesis on the body loader and the response encoders, in process;
- ``openapi``: schemathesis against ``/openapi.json`` (``tests.stress.openapi_fuzz``).

Environment: ``STRESS_ONLY`` names parts, comma-separated (all if unset);
``STRESS_SHORT=1`` shrinks the sizes for CI; each size has its own variable
(``tests.stress.parts.Sizes``): ``STRESS_DURATION`` (s of load per
database, 60; short 10), ``STRESS_CONNECTIONS`` (50), ``STRESS_SIGNAL_DURATION``
(12; 5), ``STRESS_WS_HANDSHAKES`` (1,000; 300), ``STRESS_WS_FRAGMENTED``
(20), ``STRESS_WS_IDLE_S`` (5; 3), ``STRESS_EXAMPLES`` (hypothesis, 1,000;
150), ``STRESS_OPENAPI_EXAMPLES`` (100; 10), and ``STRESS_FUZZ_DEADLINE_MS``
(500). PostgreSQL joins when ``TEST_DATABASE_URL`` (or
``BENCH_DATABASE_URL``) names a server. On 2 cores the full sizes take about
6 minutes and ``STRESS_SHORT=1`` about 2.5. The figures are latencies of a
real server on the same machine: other work there shows in them, so the
report starts with the load average. Exit 1 on any FAIL, or when a server or
a database fails to start.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Final

from tests.bench import BenchError
from tests.bench.parts import Section, chosen, table
from tests.stress import fuzz, hostile, mixed, openapi, signals, storms
from tests.stress.parts import Sizes, Stress, progress

PARTS: Final = (
    mixed.PART,
    signals.PART,
    storms.PART,
    hostile.PART,
    fuzz.PART,
    openapi.PART,
)
SUMMARY: Final = ("requests", "5xx", "lost", "duplicated", "healthz_max_ms")


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
    """Run the chosen parts; print the report; 1 on any FAIL."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    started = time.monotonic()
    sections: dict[str, Section] = {}
    try:
        sizes = Sizes.from_environment()
        with tempfile.TemporaryDirectory(prefix="stress-") as folder:
            stress = Stress(Path(folder), sizes)
            for part in chosen(PARTS, "STRESS_ONLY"):
                progress(f"{part.name}: {part.about}")
                sections[part.name] = part.run(stress)
    except BenchError as error:
        progress(str(error))
        return 1
    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    say(
        f"stress: {', '.join(sections)} on {os.cpu_count()} CPUs, load average "
        f"{load} at the end (other work on the machine skews latencies)\n"
    )
    say("\n\n".join(section.text for section in sections.values()))
    verdicts = {k: v for s in sections.values() for k, v in s.verdicts.items()}
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


if __name__ == "__main__":
    sys.exit(main())
