"""Shared fixtures: a fresh app per test, its client, and a real Hypercorn server."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol

from app import create_app
from tests.live import Server


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


@pytest.fixture
async def app(config: dict[str, Any]) -> AsyncIterator[Quart]:
    """A new app with its start-up and shutdown hooks running."""
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
def start_server() -> Iterator[Callable[[Mapping[str, str] | None], Server]]:
    """Start servers of the test's own (``env`` adds variables); all stop afterwards."""
    started: list[Server] = []

    def start(env: Mapping[str, str] | None = None) -> Server:
        started.append(Server(env))
        return started[-1]

    yield start
    for live in started:
        live.stop()
