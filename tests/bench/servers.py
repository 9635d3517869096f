"""Serve a target as ``make run`` does, and watch its processes through ``/proc``."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from tests.bench import BenchError

ROOT: Final = Path(__file__).resolve().parent.parent
# The Hypercorn of the virtualenv that runs the bench, so that
# `make bench VENV=.venv-313` serves with that Python. Not resolved: the
# interpreter is a symlink that leads out of the virtualenv.
HYPERCORN: Final = Path(sys.executable).parent / "hypercorn"
DEADLINE_S: Final = 10.0
POLL_S: Final = 0.005
IDLE_WINDOW_S: Final = 0.2

_PORT_LINE: Final = re.compile(
    rb"Running on http://127\.0\.0\.1:(\d+) \(CTRL \+ C to quit\)"
)


@dataclass(frozen=True)
class Target:
    """An app to serve, and the path whose first 200 ends its cold start.

    ``environ`` is added to the bench's own environment (the kit reads its
    ``APP_*`` settings there); ``workers`` above 0 overrides ``hypercorn.toml``.
    """

    name: str
    app: str
    probe: str
    environ: Mapping[str, str] = field(default_factory=dict)
    workers: int = 0


@dataclass
class Server:
    """A running Hypercorn process, its log, its port, its cold start and stop.

    ``stop_s`` is SIGTERM to exit, once stopped; 0 if it had already exited
    or had to be killed.
    """

    target: Target
    process: subprocess.Popen[bytes]
    log: Path
    port: int = 0
    ready_s: float = 0.0
    stop_s: float = 0.0

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def check_alive(self) -> None:
        """Raise ``BenchError`` with the log's tail if the process has exited."""
        if self.process.poll() is not None:
            raise BenchError(
                f"{self.target.name} server exited ({self.process.returncode}):\n"
                + log_tail(self.log)
            )


def log_tail(log: Path, size: int = 3000) -> str:
    """The last ``size`` bytes of a server log, for error messages."""
    with log.open("rb") as file:
        file.seek(max(0, log.stat().st_size - size))
        return file.read().decode(errors="replace")


def status_of(
    port: int,
    path: str,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    body: str | None = None,
) -> int:
    """The status of one request, on a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE_S)
    try:
        # Bytes: http.client would encode a str body as Latin-1.
        payload = None if body is None else body.encode()
        connection.request(method, path, body=payload, headers=dict(headers or {}))
        return connection.getresponse().status
    finally:
        connection.close()


def wait_until_serving(server: Server, deadline: float) -> None:
    """Read the bound port from the log, then poll the probe path until a 200.

    Each worker process logs its own "Running on" line once its app has
    started (all on the one port), so with several workers this waits for
    every line: a probe answered by the first worker says nothing of the rest.
    """
    lines = max(server.target.workers, 1)
    while not server.port:
        server.check_alive()
        found = _PORT_LINE.findall(server.log.read_bytes())
        if len(found) >= lines:
            server.port = int(found[0])
        elif time.perf_counter() > deadline:
            raise BenchError(
                f"{server.target.name}: {len(found)} of {lines} 'Running on' lines "
                "in the log"
            )
        else:
            time.sleep(POLL_S)
    while True:
        with contextlib.suppress(OSError):
            if status_of(server.port, server.target.probe) == 200:
                return
        server.check_alive()
        if time.perf_counter() > deadline:
            raise BenchError(f"{server.target.name}: no 200 from {server.target.probe}")
        time.sleep(POLL_S)


def stop(server: Server) -> None:
    """SIGTERM, give Hypercorn its graceful timeout, then SIGKILL."""
    if server.process.poll() is not None:
        return
    sent = time.perf_counter()
    server.process.terminate()
    # Polled every POLL_S: Popen.wait(timeout) polls too, but every 50 ms.
    while server.process.poll() is None:
        if time.perf_counter() - sent > DEADLINE_S:
            server.process.kill()
            server.process.wait()
            return
        time.sleep(POLL_S)
    server.stop_s = time.perf_counter() - sent


@contextlib.contextmanager
def serving(
    target: Target,
    log: Path,
    prefix: Sequence[str] = (),
    deadline_s: float = DEADLINE_S,
) -> Iterator[Server]:
    """Start ``target`` as ``make run`` does, yield it once it answers, stop it.

    ``prefix`` goes before the command (a profiler); ``deadline_s`` bounds
    the start.
    """
    command = [*prefix, str(HYPERCORN), "--config", "hypercorn.toml"]
    command += ["--bind", "127.0.0.1:0"]
    if target.workers:
        command += ["--workers", str(target.workers)]
    command.append(target.app)
    # A file, not a pipe: nobody reads the access log, and a full pipe would block.
    with log.open("wb") as output:
        started = time.perf_counter()
        try:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **target.environ},
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        except OSError as error:
            raise BenchError(f"cannot start {command[0]}: {error}") from None
    server = Server(target, process, log)
    try:
        wait_until_serving(server, started + deadline_s)
        server.ready_s = time.perf_counter() - started
        yield server
    finally:
        stop(server)


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, from ``/proc``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            parent = int(_stat_fields(int(entry.name))[1])
            children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [pid]
    while pending:
        tree.append(current := pending.pop())
        pending += children.get(current, [])
    return tree


def _stat_fields(pid: int) -> list[str]:
    # The fields after the command name, which may hold spaces: state, ppid, ...
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MiB."""
    total_kib = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024


def cpu_ticks(servers: Iterable[Server]) -> int:
    """CPU time (user + system, in clock ticks) used so far by the servers."""
    total = 0
    for server in servers:
        for member in process_tree(server.process.pid):
            with contextlib.suppress(OSError):
                fields = _stat_fields(member)
                total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def wait_until_idle(servers: Sequence[Server]) -> None:
    """Wait until the servers stop using CPU.

    wrk leaves requests in flight when it stops; at -c32 on ``/api/secret``
    that is a couple of seconds of hashing, which would load the next run and
    count in the RSS read after the load.
    """
    deadline = time.perf_counter() + 3 * DEADLINE_S
    before = cpu_ticks(servers)
    while True:
        time.sleep(IDLE_WINDOW_S)
        after = cpu_ticks(servers)
        if after - before <= 1:
            return
        if time.perf_counter() > deadline:
            raise BenchError("the servers are still busy long after the load stopped")
        before = after
