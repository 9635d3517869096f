"""The docs' curl examples, run by ``make smoke``'s script against a real server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.live import ROOT, Server
from tests.support.smoke import documents

SMOKE = [sys.executable, "-m", "tests.support.smoke"]


def test_every_docs_example_prints_what_it_says(server: Server) -> None:
    result = subprocess.run(
        [*SMOKE, "--url", server.url],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout
    assert "print what they say" in result.stdout


def test_each_installed_feature_with_a_readme_is_checked() -> None:
    pages = documents()
    assert ROOT / "docs" / "core.md" in pages
    for readme in (ROOT / "app").glob("*/*/README.md"):
        assert readme in pages


def test_smoke_catches_a_drifted_example(server: Server, tmp_path: Path) -> None:
    drifted = tmp_path / "page.md"
    drifted.write_text(
        "| What | Command | Prints |\n| --- | --- | --- |\n"
        '| Health | `curl -s 127.0.0.1:5000/healthz` | `{"status":"sick"}` |\n'
    )
    result = subprocess.run(
        [*SMOKE, "--url", server.url, str(drifted)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert "0/1 examples" in result.stdout
    assert '{"status":"ok"}' in result.stdout
