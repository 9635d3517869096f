"""/api/endpoint over HTTP: the immediate answer, the status, and bad input."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from quart.typing import TestClientProtocol as _Client

from tests.support.scrape import value

CALLBACK = "http://127.0.0.1:9/hook"  # never called: the delay outlives the test


@pytest.fixture
def config() -> dict[str, Any]:
    return {"TESTING": True, "CALLBACK_URL": CALLBACK, "WEBHOOK_DELAY": 600}


async def test_post_answers_at_once_with_an_identifier(client: _Client) -> None:
    response = await client.post(
        "/api/endpoint?some_parameter=some_value", data="ignored"
    )
    assert response.status_code == 200
    body = await response.get_json()
    assert body["success"] is True
    assert uuid.UUID(body["identifier"]).version == 4
    assert set(body) == {"identifier", "success"}


async def test_status_of_a_pending_delivery(client: _Client) -> None:
    posted = await (await client.post("/api/endpoint")).get_json()
    response = await client.get(f"/api/endpoint/{posted['identifier']}")
    assert response.status_code == 200
    status = await response.get_json()
    assert status["identifier"] == posted["identifier"]
    assert status["status"] == "pending"
    assert status["attempts"] == 0
    assert status["next_attempt_at"].endswith("+00:00")
    assert status["last_error"] is None
    assert status["delivered_at"] is None


async def test_metrics_report_the_outbox_depth(client: _Client) -> None:
    async def depth() -> float:
        text = await (await client.get("/metrics")).get_data(as_text=True)
        return value(text, "webhooks_outbox_pending")

    assert await depth() == 0
    await client.post("/api/endpoint")
    await client.post("/api/endpoint")
    assert await depth() == 2


@pytest.mark.parametrize(
    "path",
    [
        "/api/endpoint/6f1c0b8e-2a4b-4b5b-9c1d-0e2f3a4b5c6d",
        "/api/endpoint/not-a-uuid",
        "/api/endpoint/1",
    ],
)
async def test_unknown_identifiers_are_404(client: _Client, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert (await response.get_json())["code"] == 404


async def test_bodies_are_size_limited(client: _Client) -> None:
    response = await client.post("/api/endpoint", data=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert (await response.get_json())["code"] == 413


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_other_methods_are_405(client: _Client, method: str) -> None:
    send = {"GET": client.get, "PUT": client.put, "DELETE": client.delete}[method]
    response = await send("/api/endpoint")
    assert response.status_code == 405
    assert response.headers["Allow"] == "OPTIONS, POST"


class TestWithoutCallbackUrl:
    @pytest.fixture
    def config(self) -> dict[str, Any]:
        return {"TESTING": True}

    async def test_post_is_503_naming_the_setting(self, client: _Client) -> None:
        response = await client.post("/api/endpoint")
        assert response.status_code == 503
        body = await response.get_json()
        assert "CALLBACK_URL" in body["message"]
        assert (await client.get("/healthz")).status_code == 200
