"""``make new-resource``: names, the FEATURES edit, a scaffold that passes its tests.

The scaffold is written into a copy of the tree, as ``.ci/run`` copies it, and
its own tests run there, on SQLite and, with ``TEST_DATABASE_URL``, PostgreSQL.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tree import copy_tree
from tests.tools.naming import (
    RefusedError,
    Resource,
    resource_named,
    singular_of,
    taken,
)
from tests.tools.new_resource import ROOT, register, render, write

GENERATE = [sys.executable, "-m", "tests.tools.new_resource"]
LONGEST = "subscription_renewal_alerts"  # 27 characters


@pytest.mark.parametrize(
    ("plural", "singular"),
    [
        ("orders", "order"),
        ("categories", "category"),
        ("boxes", "box"),
        ("addresses", "address"),
        ("batches", "batch"),
        ("dishes", "dish"),
        ("houses", "house"),
        ("line_items", "line_item"),
        ("order_statuses", "order_status"),
        ("people", "person"),
    ],
)
def test_the_singular_follows_the_last_word(plural: str, singular: str) -> None:
    assert singular_of(plural) == singular


@pytest.mark.parametrize(
    ("plural", "singular", "reason"),
    [
        ("Orders", None, "must be snake_case"),
        ("order-items", None, "must be snake_case"),
        ("order__items", None, "must be snake_case"),
        ("orders_", None, "must be snake_case"),
        ("o", None, "must be 2 to 27 characters long"),
        ("s" * 28, None, "must be 2 to 27 characters long"),
        ("orders", "Order", "the singular 'Order' must be snake_case"),
        ("class", None, "keyword or built-in"),
        ("list", None, "keyword or built-in"),
        ("service", None, "one of the feature's modules"),
        ("test_runs", None, "pytest would collect"),
        ("data", None, "does not look like a plural"),
        ("status", None, "does not look like a plural"),
        ("sheep", "sheep", "must differ"),
    ],
)
def test_bad_names_are_refused(plural: str, singular: str | None, reason: str) -> None:
    with pytest.raises(RefusedError, match=reason):
        resource_named(plural, singular)


def test_a_singular_can_be_given() -> None:
    assert resource_named("data", "datum") == Resource("data", "datum")


@pytest.mark.parametrize(
    ("plural", "reason"),
    [
        ("core", "app/core exists"),
        ("features", "app/features exists"),
        ("docs", "URLs under /docs are taken"),
        ("timestamps", "tests/core/test_timestamps.py exists"),
        ("alembic_version", "a table named alembic_version"),
    ],
)
def test_names_the_app_uses_are_taken(plural: str, reason: str) -> None:
    assert any(reason in found for found in taken(Resource(plural, "x"), ROOT))


@pytest.mark.parametrize(
    ("plural", "clash"),
    [
        ("responses", "responses.py would bind Response twice"),
        ("fields", "schemas.py would bind Field twice"),
        ("annotations", "__init__.py would bind annotations twice"),
    ],
)
def test_names_that_clash_with_the_code_write_nothing(
    tmp_path: Path, plural: str, clash: str
) -> None:
    (tmp_path / "app" / "features").mkdir(parents=True)
    shutil.copy(ROOT / "app" / "__init__.py", tmp_path / "app" / "__init__.py")
    with pytest.raises(RefusedError, match=clash):
        write(resource_named(plural), tmp_path)
    assert list((tmp_path / "app" / "features").iterdir()) == []
    assert (tmp_path / "app" / "__init__.py").read_text() == (
        ROOT / "app" / "__init__.py"
    ).read_text()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("F = 1\nFEATURES = ()\n", "F = 1\nFEATURES = (\nboxes.feature,\n)\n"),
        (
            "FEATURES = (a.feature, b.feature)\n",
            "FEATURES = (a.feature, b.feature,\nboxes.feature,\n)\n",
        ),
        (
            "FEATURES: Final = (\n    a.feature,  # first\n)\n",
            "FEATURES: Final = (\n    a.feature,  # first\nboxes.feature,\n)\n",
        ),
    ],
)
def test_the_feature_goes_last_in_features(before: str, after: str) -> None:
    source = f"import x\nfrom app import core\n\n{before}"
    assert register(source, "boxes") == (
        f"import x\nfrom app import core\nfrom app.features import boxes\n\n{after}"
    )


def test_every_template_is_rendered_whole() -> None:
    files = render(Resource("line_items", "line_item"))
    assert Path("migrations/line_items_0001_create_line_items.py") in files
    assert Path("tests/test_line_items.py") in files
    assert Path("line_items.py") in files
    for text in files.values():
        assert "$" not in text
    assert "class LineItemRow(Base):" in files[Path("storage.py")]


def test_only_prose_that_a_long_name_pushes_too_far_is_rewrapped() -> None:
    short = render(Resource("orders", "order"))[Path("orders.py")]
    assert short.startswith('"""Orders over HTTP: ``/orders`` and ``/orders/<id>``.\n')
    long = render(Resource(LONGEST, LONGEST[:-1]))[Path(f"{LONGEST}.py")]
    docstring = long.split('"""')[1].splitlines()
    assert len(docstring) > len(short.split('"""')[1].splitlines())
    assert max(len(line) for line in docstring) <= 88


def test_a_scaffold_passes_its_own_tests_in_a_copy_of_the_tree(tmp_path: Path) -> None:
    copy_tree(tmp_path)
    written = subprocess.run(
        [*GENERATE, "boxes"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert written.returncode == 0, written.stderr
    assert "make migrate" in written.stdout
    assert "127.0.0.1:5000/boxes" in written.stdout
    folder = tmp_path / "app" / "features" / "boxes"
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*.*")) == [
        "README.md",
        "__init__.py",
        "boxes.py",
        "migrations/boxes_0001_create_boxes.py",
        "schemas.py",
        "service.py",
        "storage.py",
        "tests/test_boxes.py",
    ]
    installed = subprocess.run(
        [sys.executable, "-c", "from app import FEATURES; print(FEATURES[-1].name)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert installed.stdout == "boxes\n"

    again = subprocess.run(
        [*GENERATE, "boxes"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert again.returncode == 2
    assert "app/features/boxes exists" in again.stderr
    # ruff checks what it writes: a long name's docstrings are wrapped to fit.
    longest = subprocess.run(
        [*GENERATE, LONGEST], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert longest.returncode == 0, longest.stdout + longest.stderr

    tested = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tested.returncode == 0, tested.stdout[-3000:]
    assert " passed" in tested.stdout
