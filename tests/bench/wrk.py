"""wrk: find it, run it, read it; rounds in which the servers take turns.

The bench installs nothing: without wrk it stops and says what to install.
"""

from __future__ import annotations

import base64
import re
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from tests.bench import BenchError
from tests.bench.serve import Running, status_of, wait_until_idle

CONNECTIONS: Final = 32
# wrk drops any latency above its timeout (2 s by default) from the histogram
# and counts it as an error; /api/secret at -c32 queues scrypt close to that.
TIMEOUT_S: Final = 10
FLAGS: Final = f"-t1 -c{CONNECTIONS} --latency --timeout={TIMEOUT_S}s"
WARMUP_S: Final = 2
_UNITS_MS: Final = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def find_wrk() -> str:
    """The path of wrk; ``BenchError`` naming what to install when it is missing."""
    if found := shutil.which("wrk"):
        return found
    raise BenchError(
        "wrk is not installed: apt-get install wrk (Debian, Ubuntu) or "
        "brew install wrk (macOS), then run the bench again"
    )


@dataclass(frozen=True)
class Endpoint:
    """A request, the same to every target, and the status it must get."""

    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    method: str = "GET"  # wrk sends another method, or a body, from a Lua script
    body: str | None = None
    status: int = 200

    @property
    def label(self) -> str:
        """How the report names it: the path, after the method unless a ``GET``."""
        return self.path if self.method == "GET" else f"{self.method} {self.path}"

    def status_on(self, running: Running) -> int:
        """The status of one such request to ``running``; 0 if none could be made."""
        bind = running.server.bind
        return status_of(bind, self.path, self.headers, self.method, self.body)


def basic(user: str, password: str) -> dict[str, str]:
    """An ``Authorization`` header with Basic credentials."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def expect(running: Running, endpoint: Endpoint) -> None:
    """Fail early when an endpoint does not answer as the bench assumes."""
    if (got := endpoint.status_on(running)) != endpoint.status:
        raise BenchError(
            f"{running.target.name} {endpoint.label}: "
            f"expected {endpoint.status}, got {got or 'no answer'}"
        )


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured; errors are socket errors plus non-2xx/3xx."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int  # completed in the whole run


def wrk(
    program: str,
    running: Running,
    endpoint: Endpoint,
    duration: int,
    connections: int = CONNECTIONS,
) -> WrkResult:
    """One wrk run of ``endpoint`` on ``running``; then check that it survived."""
    command = [program, "-t1", f"-c{connections}", "--latency", f"-d{duration}s"]
    command.append(f"--timeout={TIMEOUT_S}s")
    for name, value in endpoint.headers.items():
        command += ["-H", f"{name}: {value}"]
    url = running.url(endpoint.path)
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        if endpoint.method != "GET" or endpoint.body is not None:
            script = Path(tmp) / "request.lua"
            script.write_text(
                f"wrk.method = {_lua(endpoint.method)}\n"
                f"wrk.body = {_lua(endpoint.body) if endpoint.body else 'nil'}\n"
            )
            command += ["-s", str(script)]
        try:
            run = subprocess.run(
                [*command, url], capture_output=True, text=True, timeout=duration + 60
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise BenchError(f"wrk failed on {url}: {error}") from None
    if run.returncode != 0:
        raise BenchError(f"wrk failed ({run.returncode}) on {url}:\n{run.stderr}")
    running.check_alive()
    result = parse_wrk(run.stdout)
    if result.requests_per_s == 0:
        raise BenchError(f"wrk completed no request on {url}:\n{run.stdout}")
    return result


def _lua(text: str) -> str:
    # Printable ASCII as is, every other byte as a three-digit decimal escape,
    # which every Lua (and LuaJIT, which wrk embeds) reads the same way.
    escaped = (
        chr(byte) if 32 <= byte < 127 and byte not in b'"\\' else f"\\{byte:03d}"
        for byte in text.encode()
    )
    return f'"{"".join(escaped)}"'


def parse_wrk(output: str) -> WrkResult:
    """Requests/s, the 50% and 99% latencies and the error count from wrk's output."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    done = re.search(r"^\s*(\d+) requests in ", output, re.M)
    latency_ms = {
        percent: float(number) * _UNITS_MS[unit]
        for percent, number, unit in re.findall(
            r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M
        )
    }
    if rate is None or done is None or set(latency_ms) != {"50", "99"}:
        raise BenchError(f"cannot read wrk's output:\n{output}")
    errors = 0
    for pattern in (
        r"connect (\d+), read (\d+), write (\d+), timeout (\d+)",
        r"Non-2xx or 3xx responses: (\d+)",
    ):
        if found := re.search(pattern, output):
            errors += sum(int(count) for count in found.groups())
    return WrkResult(
        float(rate[1]), latency_ms["50"], latency_ms["99"], errors, int(done[1])
    )


@dataclass(frozen=True)
class Job:
    """One wrk run to repeat in every round: an endpoint on a server, named.

    ``before`` is called before each run of the job, warm-up included.
    """

    name: str
    running: Running
    endpoint: Endpoint
    before: Callable[[], object] | None = None


def take_turns(
    program: str, jobs: Sequence[Job], rounds: int, duration: int
) -> dict[str, list[WrkResult]]:
    """A discarded warm-up per job, then ``rounds`` runs each, order rotating.

    Round i starts with job i (modulo their number), so no job always goes
    first, and the runs compared are seconds apart: drift on the host (CPU
    clock, neighbours) hits them all. Before each run every server involved
    is idle, so the one under load has the machine to itself.
    """
    servers = list({id(job.running): job.running for job in jobs}.values())

    def run(job: Job, seconds: int) -> WrkResult:
        if job.before:
            job.before()
        wait_until_idle(servers)
        return wrk(program, job.running, job.endpoint, seconds)

    for job in jobs:
        expect(job.running, job.endpoint)
        run(job, WARMUP_S)
    results: dict[str, list[WrkResult]] = {job.name: [] for job in jobs}
    for index in range(rounds):
        turn = index % len(jobs)
        for job in [*jobs[turn:], *jobs[:turn]]:
            results[job.name].append(run(job, duration))
    return results


def compared(
    rounds: Sequence[WrkResult], reference: Sequence[WrkResult]
) -> dict[str, Any]:
    """Median rate and latencies, errors, and the rate over the reference's.

    The two runs of a round were seconds apart, so the per-round ratios show
    how far one round can mislead; the ratio of the medians is the figure.
    """
    rate = statistics.median(r.requests_per_s for r in rounds)
    ratios = [
        a.requests_per_s / b.requests_per_s
        for a, b in zip(rounds, reference, strict=True)
    ]
    return {
        "requests_per_s": rate,
        "p50_ms": statistics.median(r.p50_ms for r in rounds),
        "p99_ms": statistics.median(r.p99_ms for r in rounds),
        "errors": sum(r.errors for r in rounds),
        "ratio": rate / statistics.median(r.requests_per_s for r in reference),
        "spread": {"min": min(ratios), "max": max(ratios)},
        "round_ratios": ratios,
        "rounds": [asdict(r) for r in rounds],
    }


def cells(row: Mapping[str, Any]) -> list[str]:
    """A ``compared`` row for a report: req/s, ratio, rounds min-max, p50, p99."""
    return [
        f"{row['requests_per_s']:,.0f}",
        f"{row['ratio']:.2f}",
        f"{row['spread']['min']:.2f}-{row['spread']['max']:.2f}",
        f"{row['p50_ms']:.2f}ms",
        f"{row['p99_ms']:.2f}ms",
    ]
