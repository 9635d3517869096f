"""``make rename``: one line in pyproject.toml, and the docs that show the name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.core.service import service
from tests.tools.rename import ROOT, rename


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The files that rename reads and writes, copied."""
    for name in ("pyproject.toml", "README.md", "docs", "app", "requirements"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, tmp_path / name, ignore=shutil.ignore_patterns("*.py*")
            )
        else:
            shutil.copy(source, tmp_path / name)
    return tmp_path


def test_the_name_changes_everywhere_it_is_shown(tree: Path) -> None:
    old = service().name
    changed = rename("orders-service", tree)
    assert changed[0] == "pyproject.toml"
    assert 'name = "orders-service"' in (tree / "pyproject.toml").read_text()
    assert service.__wrapped__(tree / "pyproject.toml").name == "orders-service"
    assert (tree / "README.md").read_text().startswith("# orders-service\n")
    for path in [
        tree / "README.md",
        *tree.glob("docs/*.md"),
        *tree.glob("app/**/*.md"),
        *tree.glob("requirements/*.txt"),
    ]:
        assert old not in path.read_text(), path


def test_renaming_again_to_the_same_name_changes_nothing(tree: Path) -> None:
    rename("orders-service", tree)
    assert rename("orders-service", tree) == []


@pytest.mark.parametrize("name", ["", "Orders", "orders service", "-orders", "a" * 80])
def test_invalid_names_are_refused(tree: Path, name: str) -> None:
    before = (tree / "pyproject.toml").read_text()
    with pytest.raises(ValueError, match="not a valid name"):
        rename(name, tree)
    assert (tree / "pyproject.toml").read_text() == before
