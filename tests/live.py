"""A real Hypercorn process for tests: ``Server().start()``, then ``.url``."""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTED = re.compile(r"Running on (http://\S+)")


class Server:
    """A real ``hypercorn --config hypercorn.toml`` process on a free loopback port.

    Its output is read by a thread, so tests can wait for a log line instead of
    sleeping, and the pipe never fills up. Unless ``env`` names a database, it
    gets a migrated, empty SQLite file of its own, never the development one;
    unless it names a service B, ``/a/call_b`` calls this server's own ``/b/``.
    """

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = dict(env or {})
        self._scratch: str | None = None
        if "APP_DATABASE_URL" not in env:
            self._scratch = tempfile.mkdtemp(prefix="kit-server-")
            env["APP_DATABASE_URL"] = migrated_copy(Path(self._scratch) / "app.db")
        bind = f"127.0.0.1:{free_port()}"
        env.setdefault("APP_SERVICE_B_URL", f"http://{bind}/b/")
        command = [
            sys.executable, "-m", "hypercorn", "--config", "hypercorn.toml",
            "--bind", bind, "app.asgi:app",
        ]  # fmt: skip
        environ = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = ""

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout as output:
            for line in output:
                with self._changed:
                    self.lines.append(line)
                    self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(
        self, pattern: str | re.Pattern[str], timeout: float = 10
    ) -> re.Match[str]:
        """Block until a log line matches ``pattern``; fail if the server exits."""
        regex = re.compile(pattern)
        seen = 0
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    if match := regex.search(line):
                        return match
                seen = len(self.lines)
                if not self._reader.is_alive():
                    raise AssertionError(f"server exited:\n{''.join(self.lines)}")
                if not self._changed.wait(timeout):
                    raise AssertionError(
                        f"no {regex.pattern!r} in:\n{''.join(self.lines)}"
                    )

    def start(self) -> Server:
        """Wait until the server listens and note its URL."""
        self.url = self.wait_for(STARTED).group(1)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        """Send ``sig`` and wait for the process to exit; return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self._reader.join(timeout)
            if self._scratch:
                shutil.rmtree(self._scratch, ignore_errors=True)


def free_port() -> int:
    """A loopback port that nothing listens on (now: take it soon)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@functools.cache
def migrated_template() -> Path:
    """An empty SQLite database with every migration applied, made once per run."""
    folder = Path(tempfile.mkdtemp(prefix="kit-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    template = folder / "template.db"
    migrate({"APP_DATABASE_URL": f"sqlite:///{template}"})
    return template


def migrated_copy(path: Path) -> str:
    """Copy the migrated template to ``path``; return that file's database URL."""
    shutil.copyfile(migrated_template(), path)
    return f"sqlite:///{path}"


def migrate(env: Mapping[str, str]) -> None:
    """Run ``alembic upgrade head`` as ``make migrate`` does, with ``env`` added."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env={**environ, **env},
        check=True,
        capture_output=True,
    )
