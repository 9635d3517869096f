"""The Alembic migrations build exactly the tables that the models declare.

Alembic runs in-process here, with the same ``migrations/env.py`` and
``pyproject.toml`` settings that ``make migrate`` uses (the real-server tests
run the command itself).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from app.database import url_for
from tests.conftest import TEST_DATABASE_URL
from tests.live import ROOT


@pytest.fixture
def alembic() -> Config:
    return Config(toml_file=str(ROOT / "pyproject.toml"))


def test_sqlite_migrations_match_the_models(
    alembic: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_DATABASE_URL", f"sqlite:///{tmp_path / 'm.db'}")
    command.upgrade(alembic, "head")
    command.check(alembic)  # raises if the models and the migrations differ
    command.downgrade(alembic, "base")
    assert _tables(f"sqlite:///{tmp_path / 'm.db'}", None) == {"alembic_version"}


@pytest.fixture
def schema() -> Iterator[str]:
    name = f"migrations_{os.getpid()}"
    yield name
    asyncio.run(_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL is not set")
def test_postgresql_migrations_match_the_models(
    alembic: Config, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_DATABASE_URL", TEST_DATABASE_URL)
    monkeypatch.setenv("APP_DATABASE_SCHEMA", schema)
    command.upgrade(alembic, "head")
    command.check(alembic)
    assert _tables(TEST_DATABASE_URL, schema) == {
        "alembic_version",
        "addresses",
        "webhook_deliveries",
    }


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
