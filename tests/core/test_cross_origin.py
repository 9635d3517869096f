"""CORS: off by default; for the origins named, preflights and every answer."""

from __future__ import annotations

from typing import Any

import pytest
from quart.typing import TestClientProtocol as _Client

from app.core.settings import ConfigError
from tests.support.probe import create_probe_app

APP_ORIGIN = "https://app.example.com"
PREFLIGHT = {
    "Origin": APP_ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
}


async def test_off_by_default(client: _Client) -> None:
    preflight = await client.options("/probe/echo", headers=PREFLIGHT)
    answer = await client.get("/healthz", headers={"Origin": APP_ORIGIN})
    for response in (preflight, answer):
        assert "Access-Control-Allow-Origin" not in response.headers


class TestNamedOrigin:
    @pytest.fixture
    def config(self) -> dict[str, Any]:
        return {"TESTING": True, "CORS_ORIGINS": [APP_ORIGIN]}

    async def test_a_named_origin_gets_preflights_and_answers(
        self, client: _Client
    ) -> None:
        preflight = await client.options("/probe/echo", headers=PREFLIGHT)
        assert preflight.status_code == 200
        assert preflight.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
        assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
        assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"
        assert preflight.headers["Access-Control-Max-Age"] == "600"

        for path, status in (("/healthz", 200), ("/probe/nothing-here", 404)):
            answer = await client.get(path, headers={"Origin": APP_ORIGIN})
            assert answer.status_code == status
            assert answer.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
            assert "Origin" in answer.headers["Vary"]
            exposed = answer.headers["Access-Control-Expose-Headers"].lower()
            assert {"x-request-id", "etag", "location"} <= set(exposed.split(", "))

    async def test_another_origin_gets_no_grant(self, client: _Client) -> None:
        headers = {**PREFLIGHT, "Origin": "https://evil.example"}
        for response in (
            await client.options("/probe/echo", headers=headers),
            await client.get("/healthz", headers={"Origin": "https://evil.example"}),
        ):
            assert "Access-Control-Allow-Origin" not in response.headers

    async def test_websockets_without_an_origin_still_connect(
        self, client: _Client
    ) -> None:
        async with client.websocket("/probe/ws/echo") as socket:
            await socket.send("hello")
            assert await socket.receive() == "hello"


def test_credentials_need_origins_by_name() -> None:
    with pytest.raises(ConfigError, match="CORS_ALLOW_CREDENTIALS needs CORS_ORIGINS"):
        create_probe_app(
            {"TESTING": True, "CORS_ORIGINS": ["*"], "CORS_ALLOW_CREDENTIALS": True}
        )
    with pytest.raises(ConfigError, match="CORS_ORIGINS"):
        create_probe_app({"TESTING": True, "CORS_ORIGINS": ["app.example.com"]})
