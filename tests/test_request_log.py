"""Request ids (kept, made, echoed) and one access line per request."""

from __future__ import annotations

import re

import pytest
from quart.testing.connections import WebsocketResponseError
from quart.typing import TestClientProtocol as _Client

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize("incoming", ["abc", "7f3e-1b2c.trace:42_x", "a" * 128])
async def test_well_formed_id_is_kept(client: _Client, incoming: str) -> None:
    response = await client.get("/api", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["", "a" * 129, "has space", "tab\there", "semi;colon", "ünïcode", "<script>"],
)
async def test_malformed_id_is_replaced(client: _Client, incoming: str) -> None:
    response = await client.get("/nowhere", headers={"X-Request-ID": incoming})
    request_id = response.headers["X-Request-ID"]
    assert GENERATED.fullmatch(request_id)
    assert (await response.get_json())["request_id"] == request_id


async def test_each_request_gets_its_own_id(client: _Client) -> None:
    ids = {(await client.get("/api")).headers["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5


async def test_one_access_line_per_request(
    client: _Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="app.access")
    await client.get(
        "/api/person/1?token=do-not-log", headers={"X-Request-ID": "req-1"}
    )
    await client.post("/api", headers={"X-Request-ID": "req-2"})
    lines = [r.getMessage() for r in caplog.records if r.name == "app.access"]
    assert len(lines) == 2
    assert re.fullmatch(r"GET /api/person/1 200 \d+\.\d\dms req-1", lines[0])
    assert re.fullmatch(r"POST /api 405 \d+\.\d\dms req-2", lines[1])


async def test_credentials_never_reach_the_log(
    client: _Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    await client.get(
        "/api/secret", headers={"Authorization": "Basic YWxpY2U6aHVudGVyMg=="}
    )
    assert "hunter2" not in caplog.text
    assert "YWxpY2U6aHVudGVyMg" not in caplog.text


async def test_websockets_get_an_id_and_a_line(
    client: _Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="app.access")
    async with client.websocket("/ws/echo", headers={"X-Request-ID": "ws-1"}) as echo:
        await echo.send("hi")
        assert await echo.receive() == "hi"
    with pytest.raises(WebsocketResponseError) as refused:
        async with client.websocket("/ws/chat", headers={"X-Request-ID": "ws-2"}):
            pass
    response = refused.value.response
    assert response.headers["X-Request-ID"] == "ws-2"
    assert (await response.get_json())["request_id"] == "ws-2"
    lines = [r.getMessage() for r in caplog.records if r.name == "app.access"]
    assert re.fullmatch(r"WS /ws/echo 101 \d+\.\d\dms ws-1", lines[0])
    assert re.fullmatch(r"WS /ws/chat 401 \d+\.\d\dms ws-2", lines[1])
