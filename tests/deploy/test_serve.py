"""``make serve``: hypercorn.toml with production's bind and workers, really served."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Final

from tests.support.live import ROOT, descendants, free_port, migrated_copy, shipped
from tests.support.production import first_answer, production_environment

GRACEFUL_TIMEOUT: Final[float] = shipped("graceful_timeout")


def _running(make: int, command: bytes) -> list[int]:
    """The processes under ``make`` whose command line holds ``command``."""
    found = []
    for process in descendants([make]):
        with contextlib.suppress(OSError):  # ended while we looked
            if command in (process / "cmdline").read_bytes():
                found.append(int(process.name))
    return found


def test_make_serve_runs_the_workers_it_is_told_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    bind = f"127.0.0.1:{free_port()}"
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("APP_")},
        **production_environment(),
        "APP_DATABASE_URL": migrated_copy(tmp_path / "app.db"),
    }
    venv = Path(sys.executable).parent.parent
    make = subprocess.Popen(
        ["make", "-s", "serve", f"VENV={venv}", f"BIND={bind}", "WORKERS=2"],
        cwd=ROOT,
        env=environ,
        start_new_session=True,  # make and Hypercorn: one group to kill if stuck
    )
    try:
        answer = first_answer(f"http://{bind}/readyz", 30, lambda: make.poll() is None)
        assert make.poll() is None, f"make serve exited {make.returncode}"
        assert answer is not None, "make serve: no answer in 30 s"
        assert answer.status_code == 200, answer.text
        (hypercorn,) = _running(make.pid, b"/hypercorn\0")
        # Its workers, started by multiprocessing (beside its resource tracker).
        workers = _running(make.pid, b"spawn_main")
        assert len(workers) == 2
        # The main process only starts and stops them: it never loads the
        # app (nor, through hypercorn.toml's logging, the kit's log module).
        assert _loads_the_app(workers[0])
        assert not _loads_the_app(hypercorn)
        os.kill(hypercorn, signal.SIGTERM)  # as a container's stop would
        assert make.wait(timeout=GRACEFUL_TIMEOUT + 5) == 0  # Hypercorn's status
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()


def _loads_the_app(pid: int) -> bool:
    """Whether process ``pid`` has mapped pydantic's compiled core, as the app does."""
    return b"pydantic_core" in Path(f"/proc/{pid}/maps").read_bytes()
