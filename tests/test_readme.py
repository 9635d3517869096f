"""The README's curl examples, run by scripts/smoke.py against a real server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.live import ROOT, Server

SMOKE = [sys.executable, str(ROOT / "scripts" / "smoke.py")]


def test_every_readme_example_prints_what_it_says(server: Server) -> None:
    result = subprocess.run(
        [*SMOKE, "--url", server.url], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
    assert "examples print what the README says" in result.stdout


def test_smoke_catches_a_drifted_example(server: Server, tmp_path: Path) -> None:
    drifted = tmp_path / "README.md"
    drifted.write_text(
        "| What | Command | Prints |\n| --- | --- | --- |\n"
        '| Hello | `curl -s 127.0.0.1:5000/api` | `{"Hello":"Mars!"}` |\n'
    )
    result = subprocess.run(
        [*SMOKE, "--url", server.url, "--readme", str(drifted)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "0/1 examples" in result.stdout
    assert '{"Hello":"World!"}' in result.stdout
