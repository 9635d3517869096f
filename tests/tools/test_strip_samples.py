"""``make strip-samples`` on a copy of the tree (CI runs the whole suite on one)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.tree import copy_tree
from tests.tools.strip_samples import strip


def test_strip_leaves_the_core_and_is_idempotent(tmp_path: Path) -> None:
    copy_tree(tmp_path)
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "app.db").write_bytes(b"")
    had_samples = (tmp_path / "app" / "samples").exists()  # not once stripped
    done = strip(tmp_path)
    assert done[0].startswith("removed app/samples/ (") or not had_samples
    assert not (tmp_path / "app" / "samples").exists()
    factory = (tmp_path / "app" / "__init__.py").read_text()
    assert "app.samples" not in factory
    assert "tour.feature" not in factory  # your own features, if any, stay
    for name in ("Makefile", "README.md", "compose.yaml"):
        assert ">>> sample" not in (tmp_path / name).read_text()
    assert "seed:" not in (tmp_path / "Makefile").read_text()
    assert not (tmp_path / "instance" / "app.db").exists()
    assert (tmp_path / "app" / "core").is_dir()
    assert strip(tmp_path) == []


def test_the_skeleton_loads_a_database_only_for_a_feature_that_keeps_data(
    tmp_path: Path,
) -> None:
    copy_tree(tmp_path)
    strip(tmp_path)  # your own features, if this tree has any, stay
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, app.asgi; from app import FEATURES; "
            "print(any(f.migrations for f in FEATURES), sorted(set(sys.modules)"
            " & {'sqlalchemy', 'httpx', 'alembic'}))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    keeps_data, modules = loaded.stdout.split(" ", 1)
    assert modules == ("['sqlalchemy']\n" if keeps_data == "True" else "[]\n")
