"""Migrations: every installed feature's branch, applied together, matching the models.

Alembic runs in-process here, through ``python -m app.core.migrations``'s
``main`` and the same ``env.py`` that ``make migrate`` uses (the real-server
tests run the command itself). The checks hold for whatever features are
installed, none included.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from app import FEATURES
from app.core.database import Base, url_for
from app.core.features import Feature
from app.core.migrations import alembic_config, next_revision_id
from app.core.migrations.__main__ import main
from tests.support.fixtures import TEST_DATABASE_URL

MODEL_TABLES = {"alembic_version", *Base.metadata.tables}


def test_sqlite_migrations_match_the_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    monkeypatch.setenv("APP_DATABASE_URL", url)
    assert main(["upgrade"]) == 0
    assert _tables(url, None) == MODEL_TABLES
    assert main(["check"]) == 0  # the models and the migrations agree
    for feature in FEATURES:
        if feature.migrations:
            assert main(["downgrade", f"{feature.name}@base"]) == 0
    assert _tables(url, None) == {"alembic_version"}


def test_a_database_ahead_of_the_features_gets_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(path)) as old, old:  # the old layout's
        old.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
        old.execute("INSERT INTO alembic_version VALUES ('0002')")
    monkeypatch.setenv("APP_DATABASE_URL", f"sqlite:///{path}")
    assert main(["upgrade"]) == 1
    message = capsys.readouterr().err
    assert "no installed feature provides: 0002" in message
    assert "rm instance/app.db" in message
    assert "Can't locate revision" not in message


def test_a_feature_gets_numbered_revisions_on_its_own_branch(tmp_path: Path) -> None:
    garden = Feature("garden", lambda app: None, migrations=tmp_path / "migrations")
    config = alembic_config([garden])
    assert next_revision_id(garden) == "garden_0001"
    command.revision(
        config,
        "create beds",
        head="base",
        branch_label="garden",
        version_path=str(garden.migrations),
        rev_id=next_revision_id(garden),
    )
    assert next_revision_id(garden) == "garden_0002"
    command.revision(
        config, "add paths", head="garden@head", rev_id=next_revision_id(garden)
    )
    names = sorted(path.name for path in (tmp_path / "migrations").glob("*.py"))
    assert names == ["garden_0001_create_beds.py", "garden_0002_add_paths.py"]


@pytest.fixture
def schema() -> Iterator[str]:
    name = f"migrations_{os.getpid()}"
    yield name
    asyncio.run(_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL is not set")
def test_postgresql_migrations_match_the_models(
    schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_DATABASE_URL", TEST_DATABASE_URL)
    monkeypatch.setenv("APP_DATABASE_SCHEMA", schema)
    assert main(["upgrade"]) == 0
    assert main(["check"]) == 0
    assert _tables(TEST_DATABASE_URL, schema) == MODEL_TABLES


def _tables(raw_url: str, schema: str | None) -> set[str]:
    async def names() -> set[str]:
        url = url_for({"DATABASE_URL": raw_url, "DATABASE_SCHEMA": None}, "")
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            found = await connection.run_sync(
                lambda sync: inspect(sync).get_table_names(schema=schema)
            )
        await engine.dispose()
        return set(found)

    return asyncio.run(names())


async def _sql(statement: str) -> None:
    url = url_for({"DATABASE_URL": TEST_DATABASE_URL, "DATABASE_SCHEMA": None}, "")
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text(statement))
    await engine.dispose()
