"""The measurements: starts and stops, alternating wrk rounds, memory, auth timing."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from tests.bench import BenchError
from tests.bench.servers import (
    Server,
    Target,
    rss_mib,
    serving,
    status_of,
    wait_until_idle,
)
from tests.bench.wrk import CONNECTIONS, WrkResult, wrk

COLD_STARTS: Final = 5
WARMUP_S: Final = 2
AUTH_DURATION_S: Final = 5
AUTH_CONNECTIONS: Final = 4


@dataclass(frozen=True)
class Load:
    """What the servers did under load: wrk rounds, then memory and auth timing."""

    # endpoint label -> target name -> one result per round, in round order
    rounds: Mapping[str, Mapping[str, Sequence[WrkResult]]]
    rss_mib: Mapping[str, float]
    auth: Mapping[str, float]


@dataclass(frozen=True)
class Endpoint:
    """A request to load, the same on every target, and the status it expects.

    A ``GET`` with no body unless told; wrk sends another method or a body
    through a Lua script that ``bench.wrk`` writes.
    """

    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    method: str = "GET"
    body: str | None = None
    status: int = 200

    @property
    def label(self) -> str:
        """How the report names it: the path, after the method unless a ``GET``."""
        return self.path if self.method == "GET" else f"{self.method} {self.path}"


def basic(user: str, password: str) -> dict[str, str]:
    """An ``Authorization`` header with Basic credentials."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass(frozen=True)
class Starts:
    """Each target's cold starts (``Popen`` to the first 200) and stops
    (SIGTERM to exit), in seconds, in run order."""

    ready_s: Mapping[str, Sequence[float]]
    stop_s: Mapping[str, Sequence[float]]


def measure_cold_starts(targets: Sequence[Target], logs: Path) -> Starts:
    """Start and stop each target ``COLD_STARTS`` times, alternating targets."""
    ready: dict[str, list[float]] = {target.name: [] for target in targets}
    stopped: dict[str, list[float]] = {target.name: [] for target in targets}
    for _ in range(COLD_STARTS):
        for target in targets:
            with serving(target, logs / f"{target.name}-cold.log") as server:
                ready[target.name].append(server.ready_s)
            if not server.stop_s:
                raise BenchError(f"{target.name} did not stop on SIGTERM")
            stopped[target.name].append(server.stop_s)
    return Starts(ready, stopped)


def expect(server: Server, endpoint: Endpoint) -> None:
    """Fail early when an endpoint does not answer as the bench assumes."""
    where = f"{server.target.name} {endpoint.method} {endpoint.path}"
    try:
        got = status_of(
            server.port,
            endpoint.path,
            endpoint.headers,
            endpoint.method,
            endpoint.body,
        )
    except OSError as error:
        raise BenchError(f"{where}: {error}") from None
    if got != endpoint.status:
        raise BenchError(f"{where}: expected {endpoint.status}, got {got}")


def run_wrk(
    program: str,
    server: Server,
    endpoint: Endpoint,
    duration: int,
    connections: int = CONNECTIONS,
) -> WrkResult:
    """One wrk run of ``endpoint`` on ``server``; then check that it survived."""
    result = wrk(
        program,
        server.url(endpoint.path),
        duration,
        headers=endpoint.headers,
        method=endpoint.method,
        body=endpoint.body,
        connections=connections,
    )
    server.check_alive()
    return result


@dataclass(frozen=True)
class Job:
    """One wrk run to repeat in every round: an endpoint on a server, named."""

    name: str
    server: Server
    endpoint: Endpoint
    # Called before each run of this job, warm-up included.
    before: Callable[[], object] | None = None


def measure_rounds(
    program: str,
    servers: Sequence[Server],
    endpoint: Endpoint,
    rounds: int,
    duration: int,
) -> dict[str, list[WrkResult]]:
    """A discarded warm-up per server, then ``rounds`` runs each, order alternating."""
    jobs = [Job(server.target.name, server, endpoint) for server in servers]
    return alternate(program, jobs, rounds, duration)


def alternate(
    program: str, jobs: Sequence[Job], rounds: int, duration: int
) -> dict[str, list[WrkResult]]:
    """A discarded warm-up per job, then ``rounds`` runs each, order alternating.

    Before each run every server involved must be idle, so the one under load
    has the machine to itself.
    """
    servers = list({id(job.server): job.server for job in jobs}.values())
    for job in jobs:
        expect(job.server, job.endpoint)
        _run_job(program, job, servers, WARMUP_S)
    results: dict[str, list[WrkResult]] = {job.name: [] for job in jobs}
    for index in range(rounds):
        for job in jobs if index % 2 == 0 else jobs[::-1]:
            results[job.name].append(_run_job(program, job, servers, duration))
    return results


def _run_job(
    program: str, job: Job, servers: Sequence[Server], duration: int
) -> WrkResult:
    if job.before:
        job.before()
    wait_until_idle(servers)
    return run_wrk(program, job.server, job.endpoint, duration)


def measure_load(
    program: str,
    targets: Sequence[Target],
    endpoints: Sequence[Endpoint],
    logs: Path,
    rounds: int,
    duration: int,
) -> Load:
    """Serve the targets; wrk rounds on each endpoint; then RSS and auth timing.

    The auth timing runs on the first target, the kit.
    """
    with contextlib.ExitStack() as stack:
        servers = [
            stack.enter_context(serving(target, logs / f"{target.name}-load.log"))
            for target in targets
        ]
        by_label = {
            endpoint.label: measure_rounds(program, servers, endpoint, rounds, duration)
            for endpoint in endpoints
        }
        wait_until_idle(servers)
        rss = {server.target.name: rss_mib(server.process.pid) for server in servers}
        auth: dict[str, float] = {}
        for case, headers in (
            ("wrong_password", basic("alice", "wrong-password")),
            ("unknown_user", basic("mallory", "password")),
        ):
            refused = Endpoint("/api/secret", headers, status=401)
            expect(servers[0], refused)
            wait_until_idle(servers)
            result = run_wrk(
                program, servers[0], refused, AUTH_DURATION_S, AUTH_CONNECTIONS
            )
            auth[f"{case}_p50_ms"] = result.p50_ms
    auth["unknown_over_wrong"] = (
        auth["unknown_user_p50_ms"] / auth["wrong_password_p50_ms"]
    )
    return Load(by_label, rss, auth)
