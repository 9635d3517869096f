"""docs/production.md's install and run, command by command, on a copy of the tree.

Slow (a virtualenv filled from the index), so skipped unless ``TEST_INSTALL``
is set; ``.ci/run``'s container step sets it. The commands are read from the
page's console blocks, so the page cannot drift from what works.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import pytest

from tests.support.live import ROOT, free_port, shipped
from tests.support.production import first_answer, production_environment
from tests.support.tree import copy_tree

PAGE: Final = ROOT / "docs" / "production.md"
SECTION: Final = "Install and run in production"
GRACEFUL_TIMEOUT: Final[float] = shipped("graceful_timeout")

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_INSTALL"),
    reason="slow: TEST_INSTALL=1 runs it (.ci/run's container step sets it)",
)


def console_blocks(page: Path, section: str) -> list[list[str]]:
    """The commands (``$ ...`` lines) of each console block of ``section``."""
    body = page.read_text().split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return [
        [
            line.removeprefix("$ ")
            for line in block.splitlines()
            if line.startswith("$ ")
        ]
        for block in re.findall(r"```console\n(.*?)```", body, re.DOTALL)
    ]


def shell(command: str, cwd: Path, env: Mapping[str, str] | None = None) -> None:
    """Run one documented command; fail with its output."""
    done = subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"


def test_the_documented_install_migrations_and_server(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path / "service")
    venv = str(tmp_path / "venv")
    install, run = console_blocks(PAGE, SECTION)[:2]
    for command in install:
        shell(command.replace("/opt/venv", venv), tree)
    bind = f"127.0.0.1:{free_port()}"
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("APP_")},
        **production_environment(),
        "APP_DATABASE_URL": f"sqlite:///{tmp_path}/app.db",
        "BIND": bind,
        "WORKERS": "2",
    }
    migrate, serve = (command.replace("/opt/venv", venv) for command in run)
    shell(migrate, tree, environ)
    server = subprocess.Popen(["bash", "-c", f"exec {serve}"], cwd=tree, env=environ)
    try:
        answer = first_answer(f"http://{bind}/readyz", 30)
        assert answer is not None, f"{serve}: no answer in 30 s"
        assert answer.status_code == 200, answer.text
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=GRACEFUL_TIMEOUT + 5) == 0
    finally:
        server.kill()
        server.wait()
