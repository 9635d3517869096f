"""Real Hypercorn servers: one launcher for the tests, ``make smoke`` and the bench.

``Server().start()`` serves ``app.asgi:app`` with the shipped
``hypercorn.toml`` (as ``make run`` does) on a free loopback port, on a fresh
migrated SQLite file of its own unless ``env`` names a database; ``.url`` is
where it listens and ``.stop()`` ends it. The tests read its output line by
line (``wait_for``); the bench sends it to a file (``log=``) so that a
server under load never waits on a pipe. ``root`` serves another copy of the
kit (the bench's stripped skeleton), migrated with that copy's migrations.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final

ROOT: Final = Path(__file__).resolve().parents[2]
STARTED: Final = re.compile(r"Running on (http://\S+)")
# The Hypercorn of the interpreter that runs this, so a venv of another Python
# serves with that Python. Not resolved: the interpreter is a symlink out of it.
HYPERCORN: Final = Path(sys.executable).parent / "hypercorn"
POLL_S: Final = 0.005
# Servers listen on a port from LOWEST_PORT up to the ephemeral range.
LOWEST_PORT: Final = 10_000
EPHEMERAL_RANGE: Final = Path("/proc/sys/net/ipv4/ip_local_port_range")
DEFAULT_FIRST_EPHEMERAL: Final = 32768  # Linux's


class Server:
    """A real ``hypercorn --config hypercorn.toml`` process on a free loopback port.

    ``target`` is what it serves, from ``root``; ``workers`` above 0
    overrides the file; ``prefix`` goes before the command (a profiler);
    ``log`` sends its output to that file instead of a pipe that a thread
    reads into ``lines``; ``config`` replaces ``hypercorn.toml`` (the bench's
    bare Quart, ``tests.bench.bare_config``).
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        target: str = "app.asgi:app",
        workers: int = 0,
        prefix: Sequence[str] = (),
        log: Path | None = None,
        root: Path = ROOT,
        config: str = "hypercorn.toml",
    ) -> None:
        env = dict(env or {})
        self._scratch: str | None = None
        if "APP_DATABASE_URL" not in env:
            self._scratch = tempfile.mkdtemp(prefix="kit-server-")
            env["APP_DATABASE_URL"] = migrated_copy(
                Path(self._scratch) / "app.db", root
            )
        self.workers = workers
        self.bind = f"127.0.0.1:{free_port()}"
        self.url = f"http://{self.bind}"
        command = [*prefix, str(HYPERCORN), "--config", config]
        command += ["--bind", self.bind]
        if workers:
            command += ["--workers", str(workers)]
        environ = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
        self.log = log
        output: IO[bytes] | int = log.open("wb") if log else subprocess.PIPE
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            [*command, target],
            cwd=root,
            env={**environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        if log:
            output.close()  # type: ignore[union-attr]
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        if not log:
            self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout as output:
            for raw in output:
                with self._changed:
                    self.lines.append(raw.decode(errors="replace"))
                    self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def output(self) -> str:
        """Everything the server has printed so far."""
        if self.log:
            return self.log.read_bytes().decode(errors="replace")
        with self._changed:
            return "".join(self.lines)

    def wait_for(
        self, pattern: str | re.Pattern[str], timeout: float = 10, count: int = 1
    ) -> re.Match[str]:
        """Block until ``count`` lines match ``pattern``; return the first match.

        Fails if the server exits first. With ``log``, the file is polled.
        """
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        if self.log:
            while len(found := list(regex.finditer(self.output()))) < count:
                self._check_deadline(regex, deadline)
                time.sleep(POLL_S)  # a file gives no signal when it grows
            return found[0]
        with self._changed:
            while True:
                found = [m for line in self.lines if (m := regex.search(line))]
                if len(found) >= count:
                    return found[0]
                self._check_deadline(regex, deadline)
                self._changed.wait(max(deadline - time.monotonic(), 0))

    def _check_deadline(self, regex: re.Pattern[str], deadline: float) -> None:
        if self.process.poll() is not None and (
            self.log or not self._reader.is_alive()
        ):
            raise AssertionError(f"server exited:\n{self.output()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {regex.pattern!r} in:\n{self.output()}")

    def start(self, timeout: float = 10) -> Server:
        """Wait until every worker has started and listens."""
        self.wait_for(STARTED, timeout, count=max(self.workers, 1))
        return self

    def raw(self, request: bytes, timeout: float = 5) -> bytes:
        """Send raw bytes, then end the sending side; return all until the close."""
        host, port = self.bind.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout) as sock:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
            return b"".join(iter(lambda: sock.recv(65536), b""))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        """Send ``sig`` and wait for the process to exit; return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            if self._reader.is_alive():
                self._reader.join(timeout)
            if self._scratch:
                shutil.rmtree(self._scratch, ignore_errors=True)


@functools.cache
def _shipped() -> dict[str, Any]:
    return tomllib.loads((ROOT / "hypercorn.toml").read_text())


def shipped(key: str) -> Any:
    """A setting of the shipped ``hypercorn.toml``; None when the file leaves it out."""
    return _shipped().get(key)


def descendants(pids: Iterable[int]) -> list[Path]:
    """The ``/proc`` folders of ``pids`` and all their descendants, parents first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, IndexError):  # ended while we looked
            parent = int(stat_fields(entry)[1])
            children.setdefault(parent, []).append(int(entry.name))
    pending, tree = list(pids), []
    while pending:
        tree.append(current := pending.pop())
        pending += children.get(current, [])
    return [Path(f"/proc/{pid}") for pid in tree]


def stat_fields(process: Path) -> list[str]:
    """``/proc/<pid>/stat`` after the command name, which may hold spaces."""
    return (process / "stat").read_text().rpartition(")")[2].split()


def free_port() -> int:
    """A loopback port that nothing listens on (now: take it soon).

    Chosen below the kernel's range of ephemeral ports, where the tests' own
    outgoing connections (clients, the database's) take their local ports:
    a port from that range, free when checked, was taken by one of them
    before the server bound it ("Address already in use").
    """
    low = first_ephemeral_port()
    while True:
        port = LOWEST_PORT + secrets.randbelow(low - LOWEST_PORT)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:  # in use: another
                continue
            return port


def first_ephemeral_port() -> int:
    """The first port of the kernel's range for outgoing connections' own ports."""
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return DEFAULT_FIRST_EPHEMERAL


@functools.cache
def migrated_template(root: Path = ROOT) -> Path:
    """An empty SQLite database with ``root``'s migrations applied, made once."""
    folder = Path(tempfile.mkdtemp(prefix="kit-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    template = folder / "template.db"
    migrate({"APP_DATABASE_URL": f"sqlite:///{template}"}, root)
    return template


def migrated_copy(path: Path, root: Path = ROOT) -> str:
    """Copy the migrated template to ``path``; return that file's database URL."""
    shutil.copyfile(migrated_template(root), path)
    return f"sqlite:///{path}"


def migrate(env: Mapping[str, str], root: Path = ROOT) -> None:
    """Apply ``root``'s migrations as ``make migrate`` does, with ``env`` added."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
    result = subprocess.run(
        [sys.executable, "-m", "app.core.migrations", "upgrade"],
        cwd=root,
        env={**environ, **env},
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(f"migrations failed:\n{result.stderr}")
