"""``instructions``: what a start and a request cost, counted by callgrind.

On a shared VM the rate of a server moves by a quarter from one minute to the
next; the instructions a request costs do not depend on the host. Each target
is served as ``make run`` serves it but inside ``valgrind --tool=callgrind``,
all three at once (a count does not care what else runs). A first dump counts
the start: every instruction from exec to the first 200 of ``/healthz``. Then
for each endpoint: ``WARMUP`` requests, the counters zeroed
(``callgrind_control -z``), ``REQUESTS`` keep-alive requests one after the
other, a dump (``callgrind_control -d``). An endpoint that a target answers
with 404 (the skeleton has no ``/api``) is left out for it.

÷ bare is a count over bare Quart's: 1.25 is a quarter more work. Targets:
the skeleton's start at most ``SKELETON_START_TARGET`` times bare's, the
kit's at most ``KIT_START_LIMIT`` times. Instructions are not time (cache
misses and system calls do not show): this explains the wrk figures, it does
not replace them. Skipped without valgrind, with a line that says so.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

from tests.bench import BenchError
from tests.bench.parts import Bench, Part, Section, table, verdict
from tests.bench.serve import PROBE, Running, Target, serving
from tests.bench.wrk import Endpoint

WARMUP: Final = 1000
REQUESTS: Final = 500
# Not /api/secret: under callgrind its scrypt hash takes seconds a request.
PATHS: Final = (PROBE, "/api", "/api/person/1", "/api/yaml")
START: Final = "start"  # the label of the start's count, a total
SKELETON_START_TARGET: Final = 2.0
KIT_START_LIMIT: Final = 2.8
DEADLINE_S: Final = 180.0
# A dump's header holds the summary; its last line, totals, says it is complete.
_SUMMARY: Final = re.compile(r"^summary: (\d+)$", re.M)


def run(bench: Bench) -> Section:
    """Each target's start and per-request counts, their ratios, the verdicts."""
    valgrind, control = shutil.which("valgrind"), shutil.which("callgrind_control")
    if not (valgrind and control):
        skipped = "skipped, valgrind is not installed (apt-get install valgrind)"
        return Section({"skipped": skipped}, {}, f"instructions: {skipped}")
    with ThreadPoolExecutor(len(bench.targets)) as pool:
        futures = {
            target.name: pool.submit(count, valgrind, control, target, bench.folder)
            for target in bench.targets
        }
        counts = {name: future.result() for name, future in futures.items()}
    figures: dict[str, dict[str, float]] = {}
    for label in (START, *PATHS):
        row = figures[label] = {n: c[label] for n, c in counts.items() if label in c}
        for name in ("kit", "skeleton"):
            if name in row and "bare" in row:
                row[f"{name}_over_bare"] = row[name] / row["bare"]
    start = figures[START]
    verdicts = {
        "start_skeleton": verdict(start["skeleton_over_bare"] <= SKELETON_START_TARGET),
        "start_kit": verdict(start["kit_over_bare"] <= KIT_START_LIMIT),
    }
    return Section(figures, verdicts, _render(figures, verdicts))


def count(
    valgrind: str,
    control: str,
    target: Target,
    folder: Path,
    paths: tuple[str, ...] = PATHS,
    part: str = "",
) -> dict[str, float]:
    """``START``, then each path's instructions per request, for one target.

    Its dumps and log go in ``folder``, named after ``part`` and the target.
    """
    dumps = folder / f"{part}{target.name.replace(' ', '-')}-callgrind"
    dumps.mkdir()
    log = dumps.with_suffix(".log")
    with serving(target, log, callgrind(valgrind, dumps), DEADLINE_S) as running:
        pid = str(running.server.process.pid)
        counts = {START: float(callgrind_dump(control, pid, dumps))}
        for path in paths:
            endpoint = Endpoint(path)
            if (status := in_a_row(running, endpoint, WARMUP)) == 404:
                continue
            if status != endpoint.status:
                raise BenchError(f"{target.name} {path}: {status}")
            callgrind_control(control, "-z", pid)
            in_a_row(running, endpoint, REQUESTS)
            counts[path] = callgrind_dump(control, pid, dumps) / REQUESTS
    return counts


def callgrind(valgrind: str, dumps: Path) -> tuple[str, ...]:
    """The prefix that serves a target inside callgrind, its dumps in ``dumps``."""
    return (
        valgrind,
        "--tool=callgrind",
        "--quiet",
        f"--callgrind-out-file={dumps}/out.%p",
    )


def in_a_row(running: Running, endpoint: Endpoint, count: int) -> int:
    """``count`` of ``endpoint``'s requests one after the other on one connection.

    Returns ``endpoint.status``, or the first other status, which ends the run.
    """
    host, port = running.server.bind.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    body = endpoint.body.encode() if endpoint.body is not None else None
    try:
        for _ in range(count):
            connection.request(
                endpoint.method, endpoint.path, body, {**endpoint.headers}
            )
            response = connection.getresponse()
            response.read()
            if response.status != endpoint.status:
                return response.status
    except OSError as error:
        raise BenchError(f"{running.target.name} under callgrind: {error}") from None
    finally:
        connection.close()
    return endpoint.status


def callgrind_control(control: str, command: str, pid: str) -> None:
    """Run ``callgrind_control command pid``; ``BenchError`` if it fails."""
    try:
        subprocess.run(
            [control, command, pid], capture_output=True, check=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise BenchError(f"callgrind_control {command} failed: {error}") from None


def callgrind_dump(control: str, pid: str, dumps: Path) -> int:
    """Dump the counters; the instruction total of the new dump file."""
    before = set(dumps.iterdir())
    callgrind_control(control, "-d", pid)
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        for path in set(dumps.iterdir()) - before:
            text = path.read_text(errors="replace")
            if "\ntotals: " in text and (found := _SUMMARY.search(text)):
                return int(found[1])
        time.sleep(0.1)  # the file appears once valgrind has written it
    raise BenchError(f"callgrind wrote no dump in {dumps}")


def _render(figures: Mapping[str, Any], verdicts: Mapping[str, str]) -> str:
    head = ",kit,skeleton,bare,kit ÷ bare,skeleton ÷ bare"
    rows: list[Sequence[str]] = [head.split(",")]
    for label, row in figures.items():
        counts = ("kit", "skeleton", "bare")
        ratios = ("kit_over_bare", "skeleton_over_bare")
        rows.append(
            [
                f"{label} (total)" if label == START else f"{label} (per request)",
                *(f"{row[name]:,.0f}" if name in row else "-" for name in counts),
                *(f"{row[name]:.2f}" if name in row else "-" for name in ratios),
            ]
        )
    start = figures[START]
    return "\n".join(
        [
            f"instructions under callgrind, a live server each; start = exec to "
            f"the first 200 of {PROBE}; per request: {REQUESTS} keep-alive GETs "
            f"one at a time after {WARMUP}; ÷ bare = the count over bare's",
            "",
            *table(rows),
            "",
            f"start, skeleton ÷ bare {start['skeleton_over_bare']:.2f} (target ≤ "
            f"{SKELETON_START_TARGET:.1f}): {verdicts['start_skeleton']}; "
            f"kit ÷ bare {start['kit_over_bare']:.2f} (must not exceed "
            f"{KIT_START_LIMIT:.1f}): {verdicts['start_kit']}",
        ]
    )


PART: Final = Part(
    "instructions", "callgrind counts of starts and requests (~4 min)", run
)
