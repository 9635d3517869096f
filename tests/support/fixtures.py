"""Fixtures for every test, the core's and each feature's: a pytest plugin.

``pyproject.toml`` loads it with ``-p tests.support.fixtures``, so the tests
that live in a feature's own folder get the same fixtures as ``tests/``: a
fresh app per test, its client, databases, and real Hypercorn servers.

Every app gets a database of its own: an SQLite file in the test's temporary
folder, or, for tests that use ``database``, also a fresh schema on the
PostgreSQL server that ``TEST_DATABASE_URL`` names. No test touches the
development database.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol
from sqlalchemy import text

from app import create_app
from app.core import database as db
from app.core.database import Base
from tests.support.live import Server, migrated_copy

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
# PostgreSQL runs when TEST_DATABASE_URL names a server (.ci/run sets it).
BACKENDS = ("sqlite", "postgresql")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
# The shared store of the cache and the rate limits: each process's memory,
# then the Redis server that TEST_REDIS_URL names (.ci/run sets it).
STORES = ("memory", "redis")


@pytest.fixture(autouse=True)
def _sealed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's ``APP_*`` variables out of every test."""
    for name in list(os.environ):
        if name.startswith("APP_"):
            monkeypatch.delenv(name)


@pytest.fixture
def config() -> dict[str, Any]:
    """The explicit config layer; override this fixture to change a setting."""
    return {"TESTING": True}


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings for each shared store: this process's memory, then Redis if set."""
    if request.param == "redis":
        if not TEST_REDIS_URL:
            pytest.skip("TEST_REDIS_URL is not set")
        return {"REDIS_URL": TEST_REDIS_URL}
    return {}


@pytest.fixture(params=BACKENDS)
async def database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[dict[str, Any]]:
    """Settings for an empty database with the kit's tables, on each backend.

    On PostgreSQL each test gets a schema of its own, dropped afterwards.
    """
    if request.param == "postgresql" and not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    schema = None if request.param == "sqlite" else f"test_{secrets.token_hex(6)}"
    if schema is None:
        settings: dict[str, Any] = {"DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}"}
    else:
        settings = {"DATABASE_URL": TEST_DATABASE_URL, "DATABASE_SCHEMA": schema}
    app = create_app({"TESTING": True, **settings})
    async with db.connected(app) as opened, opened.engine.begin() as connection:
        if schema:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        await connection.run_sync(Base.metadata.create_all)
    yield settings
    if schema:
        async with db.connected(app) as opened, opened.engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
async def app(config: dict[str, Any], tmp_path: Path) -> AsyncIterator[Quart]:
    """A new app with its start-up and shutdown hooks running.

    A ``config`` that names no database gets a migrated, empty SQLite file in
    the test's own folder.
    """
    if "DATABASE_URL" not in config:
        config = {"DATABASE_URL": migrated_copy(tmp_path / "app.db"), **config}
    app = create_app(config)
    async with app.test_app():
        yield app


@pytest.fixture
def client(app: Quart) -> TestClientProtocol:
    """A test client for ``app``."""
    return app.test_client()


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """One real server shared by the session's read-only tests."""
    live = Server().start()
    yield live
    live.stop()


@pytest.fixture
def start_server() -> Iterator[Callable[..., Server]]:
    """Start servers of the test's own (``Server``'s arguments); all stop afterwards."""
    started: list[Server] = []

    def start(env: Mapping[str, str] | None = None, **options: Any) -> Server:
        started.append(Server(env, **options))
        return started[-1]

    yield start
    for live in started:
        live.stop()
