"""The bench's targets, served by ``tests.support.live.Server``, and ``/proc``.

``kit`` is this tree's ``app.asgi:app``; ``skeleton`` the same tree stripped of
its samples (``make strip-samples`` on a copy) and served from that copy;
``bare`` is ``tests.bench.baseline:app``. On top of the launcher this module
times the cold start (``Popen`` to the first 200 of ``PROBE``) and the stop
(SIGTERM to exit), and reads the servers' memory and CPU time from ``/proc``.
"""

from __future__ import annotations

import compileall
import contextlib
import http.client
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from tests.bench import BenchError
from tests.support.live import ROOT, Server, descendants, stat_fields
from tests.support.tree import copy_tree

PROBE: Final = "/healthz"
DEADLINE_S: Final = 10.0
POLL_S: Final = 0.005


@dataclass(frozen=True)
class Target:
    """An app to serve from ``root``, with ``env`` added to the bench's own."""

    name: str
    app: str
    root: Path = ROOT
    env: Mapping[str, str] = field(default_factory=dict)
    workers: int = 0  # above 0 overrides hypercorn.toml
    config: str = "hypercorn.toml"


KIT: Final = Target("kit", "app.asgi:app")
BARE: Final = Target(
    "bare", "tests.bench.baseline:app", config="python:tests.bench.bare_config"
)


def skeleton(folder: Path) -> Target:
    """This tree copied to ``folder`` as CI copies it (``copy_tree``), then stripped."""
    copy_tree(folder)
    # `make strip-samples` in the copy; its output would interleave the report.
    stripped = subprocess.run(
        [sys.executable, "-m", "tests.tools.strip_samples"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    if stripped.returncode:
        raise BenchError(f"strip-samples failed on the copy:\n{stripped.stderr}")
    compile_bytecode(folder)
    return Target("skeleton", "app.asgi:app", folder)


def compile_bytecode(root: Path = ROOT) -> None:
    """Write the bytecode of the app under ``root``, as a first start would.

    Where ``PYTHONDONTWRITEBYTECODE`` is set (many container images) no start
    writes it, and each start would compile the kit's modules again; a
    deployment compiles them once (``python -m compileall app``), so the bench
    does too, and for the bare app's package.
    """
    for folder in (root / "app", root / "converters", root / "tests" / "bench"):
        if folder.is_dir() and not compileall.compile_dir(folder, quiet=1):
            raise BenchError(f"cannot compile {folder}")
    compileall.compile_file(root / "tests" / "__init__.py", quiet=1)


@dataclass
class Running:
    """A target being served: its cold start, and its stop once stopped.

    ``stop_s`` is SIGTERM to exit; 0 if it had already exited or was killed.
    """

    target: Target
    server: Server
    ready_s: float = 0.0
    stop_s: float = 0.0

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return f"{self.server.url}{path}"

    def check_alive(self) -> None:
        """Raise ``BenchError`` with the log's tail if the server has exited."""
        if (code := self.server.process.poll()) is not None:
            tail = self.server.output()[-3000:]
            raise BenchError(f"{self.target.name} server exited ({code}):\n{tail}")


@contextlib.contextmanager
def serving(
    target: Target,
    log: Path,
    prefix: Sequence[str] = (),
    deadline_s: float = DEADLINE_S,
) -> Iterator[Running]:
    """Serve ``target``; yield it once every worker runs and ``PROBE`` answers.

    ``prefix`` goes before the command (a profiler); ``deadline_s`` bounds the
    start.
    """
    server = Server(
        target.env,
        target=target.app,
        workers=target.workers,
        prefix=prefix,
        log=log,
        root=target.root,
        config=target.config,
    )
    running = Running(target, server)
    try:
        try:
            server.start(deadline_s)
        except AssertionError as error:  # how the launcher fails a test
            raise BenchError(f"{target.name} did not start: {error}") from None
        while status_of(server.bind, PROBE) != 200:
            running.check_alive()
            if time.perf_counter() - server.started_at > deadline_s:
                raise BenchError(f"{target.name}: no 200 from {PROBE}")
            time.sleep(POLL_S)
        running.ready_s = time.perf_counter() - server.started_at
        yield running
    finally:
        running.stop_s = _stop(server)


def _stop(server: Server) -> float:
    if server.process.poll() is not None:
        server.stop()
        return 0.0
    sent = time.perf_counter()
    server.process.terminate()
    # Polled every POLL_S: Popen.wait(timeout) polls too, but every 50 ms.
    while server.process.poll() is None:
        if time.perf_counter() - sent > DEADLINE_S:
            server.stop(signal.SIGKILL)
            return 0.0
        time.sleep(POLL_S)
    stopped = time.perf_counter() - sent
    server.stop()  # removes its database
    return stopped


def status_of(
    bind: str,
    path: str,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    body: str | None = None,
) -> int:
    """The status of one request on a fresh connection; 0 if none could be made."""
    host, port = bind.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=DEADLINE_S)
    try:
        # Bytes: http.client would encode a str body as Latin-1.
        payload = None if body is None else body.encode()
        connection.request(method, path, body=payload, headers=dict(headers or {}))
        return connection.getresponse().status
    except OSError:
        return 0
    finally:
        connection.close()


def process_tree(servers: Iterable[Running]) -> list[Path]:
    """The ``/proc`` folders of the servers' processes and all their descendants."""
    return descendants(running.server.process.pid for running in servers)


def rss_mib(running: Running) -> float:
    """Resident memory of the server and all its descendants, in MiB."""
    total_kib = 0
    for process in process_tree([running]):
        with contextlib.suppress(OSError):
            for line in (process / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024


def wait_until_idle(servers: Iterable[Running], window_s: float = 0.2) -> None:
    """Wait until the servers use no CPU for ``window_s``.

    wrk leaves requests in flight when it stops; at -c32 on ``/api/secret``
    that is seconds of hashing, which would load the next run and count in
    the memory read after the load.
    """
    servers = list(servers)
    deadline = time.perf_counter() + 3 * DEADLINE_S
    before = -1
    while (ticks := _cpu_ticks(servers)) - before > 1:
        if time.perf_counter() > deadline:
            raise BenchError("the servers are still busy long after the load stopped")
        before = ticks
        time.sleep(window_s)


def _cpu_ticks(servers: Sequence[Running]) -> int:
    total = 0
    for process in process_tree(servers):
        with contextlib.suppress(OSError):
            utime, stime = stat_fields(process)[11:13]
            total += int(utime) + int(stime)
    return total
