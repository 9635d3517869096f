"""/healthz and /readyz, with dependencies that answer, fail or hang."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as _Client

from app.core.readiness import add_check


async def test_healthz(client: _Client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert await response.get_json() == {"status": "ok"}


async def test_ready_with_no_dependencies(client: _Client) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert await response.get_json() == {"status": "ok"}


async def _answers() -> None:
    return None


async def _fails() -> None:
    raise ConnectionRefusedError("127.0.0.1:5432 password=secret")


async def _hangs() -> None:
    await asyncio.Event().wait()


@pytest.fixture
def config() -> dict[str, Any]:
    return {"TESTING": True, "READY_TIMEOUT": 0.05}


async def test_ready_when_every_check_answers(app: Quart, client: _Client) -> None:
    add_check(app, "database", _answers)
    add_check(app, "cache", _answers)
    assert (await client.get("/readyz")).status_code == 200


@pytest.mark.parametrize("broken", [_fails, _hangs])
async def test_503_names_the_failing_dependency(
    app: Quart, client: _Client, broken: Any
) -> None:
    add_check(app, "database", _answers)
    add_check(app, "cache", broken)
    response = await client.get("/readyz")
    assert response.status_code == 503
    body = await response.get_json()
    assert body["code"] == 503
    assert body["failing"] == ["cache"]
    assert "cache" in body["message"]
    assert "secret" not in await response.get_data(as_text=True)
