"""Instructions per request under callgrind: kit ÷ bare without the host's noise.

On a shared VM the rate of the same server moves by a quarter from one minute
to the next, and its CPU time per request moves with it, so a wrk ratio near
the target cannot settle it. The number of instructions that a request costs
does not depend on the host. Each target is served as ``make run`` serves it,
but inside ``valgrind --tool=callgrind``; after ``WARMUP`` requests the
counters are zeroed (``callgrind_control -z``), ``REQUESTS`` keep-alive
requests of one endpoint run one after the other, and the counters are dumped
(``callgrind_control -d``). Before any of that, a first dump counts the start:
every instruction from exec to the first 200, the cold start without the
host's noise. Both targets run at the same time: an instruction count does not
care what else runs.

Instructions are not time (cache misses and system calls do not show), so
this part explains the wrk figures; it does not replace them. It runs only
when valgrind is installed and is skipped otherwise, with a line that says so.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final

from tests.bench import BenchError
from tests.bench.measure import Endpoint
from tests.bench.servers import Server, Target, serving

WARMUP: Final = 1000
REQUESTS: Final = 500
# The label of the start's count (a total, not per request) among the endpoints'.
START: Final = "start"
START_DEADLINE_S: Final = 180.0
# A dump's header holds the summary; its last line, totals, says it is complete.
_SUMMARY: Final = re.compile(r"^summary: (\d+)$", re.M)


def callgrind() -> tuple[str, str] | None:
    """The paths of valgrind and callgrind_control, or None when missing."""
    valgrind, control = shutil.which("valgrind"), shutil.which("callgrind_control")
    return (valgrind, control) if valgrind and control else None


def measure_instructions(
    tools: tuple[str, str],
    targets: Sequence[Target],
    endpoints: Sequence[Endpoint],
    logs: Path,
) -> dict[str, dict[str, float]]:
    """Endpoint label -> target name -> instructions per request; and ``START``
    -> target name -> instructions from exec to the first 200."""
    with ThreadPoolExecutor(len(targets)) as pool:
        futures = {
            target.name: pool.submit(_one_target, tools, target, endpoints, logs)
            for target in targets
        }
        by_target = {name: future.result() for name, future in futures.items()}
    return {
        label: {name: counts[label] for name, counts in by_target.items()}
        for label in (START, *(endpoint.label for endpoint in endpoints))
    }


def _one_target(
    tools: tuple[str, str], target: Target, endpoints: Sequence[Endpoint], logs: Path
) -> dict[str, float]:
    valgrind, control = tools
    dumps = logs / f"{target.name}-callgrind"
    dumps.mkdir()
    prefix = [
        valgrind,
        "--tool=callgrind",
        "--quiet",
        f"--callgrind-out-file={dumps}/out.%p",
    ]
    log = logs / f"{target.name}-callgrind.log"
    counts: dict[str, float] = {}
    with serving(target, log, prefix, START_DEADLINE_S) as server:
        pid = str(server.process.pid)
        counts[START] = _dump(control, pid, dumps)
        for endpoint in endpoints:
            _requests(server, endpoint, WARMUP)
            _control(control, "-z", pid)
            _requests(server, endpoint, REQUESTS)
            counts[endpoint.label] = _dump(control, pid, dumps) / REQUESTS
    return counts


def _requests(server: Server, endpoint: Endpoint, count: int) -> None:
    """``count`` requests, one after the other, on one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    body = None if endpoint.body is None else endpoint.body.encode()
    try:
        for _ in range(count):
            connection.request(
                endpoint.method,
                endpoint.path,
                body=body,
                headers=dict(endpoint.headers),
            )
            response = connection.getresponse()
            response.read()
            if response.status != endpoint.status:
                raise BenchError(
                    f"{server.target.name} {endpoint.label} under callgrind: "
                    f"expected {endpoint.status}, got {response.status}"
                )
    except OSError as error:
        raise BenchError(f"{server.target.name} under callgrind: {error}") from None
    finally:
        connection.close()


def _control(control: str, command: str, pid: str) -> None:
    try:
        subprocess.run(
            [control, command, pid], capture_output=True, check=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise BenchError(f"callgrind_control {command} failed: {error}") from None


def _dump(control: str, pid: str, dumps: Path) -> int:
    """Dump the counters; the instruction total of the new dump file."""
    before = set(dumps.iterdir())
    _control(control, "-d", pid)
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        for path in set(dumps.iterdir()) - before:
            with contextlib.suppress(OSError):
                text = path.read_text(errors="replace")
                if "\ntotals: " in text and (found := _SUMMARY.search(text)):
                    return int(found[1])
        time.sleep(0.1)  # the file appears once valgrind has written it
    raise BenchError(f"callgrind wrote no dump in {dumps}")
