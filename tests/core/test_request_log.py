"""Request ids (kept, made, echoed) and one access line per request."""

from __future__ import annotations

import re

import pytest
from quart.testing.connections import WebsocketResponseError
from quart.typing import TestClientProtocol as _Client

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize("incoming", ["abc", "7f3e-1b2c.trace:42_x", "a" * 128])
async def test_well_formed_id_is_kept(client: _Client, incoming: str) -> None:
    response = await client.get("/probe/hello", headers={"X-Request-ID": incoming})
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
    ids = {(await client.get("/probe/hello")).headers["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5


STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
LOGGING = {"TESTING": True, "ACCESS_LOG": "logging"}


def _stdout_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [
        line for line in capsys.readouterr().out.splitlines() if "app.access" in line
    ]


async def test_one_access_line_per_request_on_stdout(
    client: _Client, capsys: pytest.CaptureFixture[str]
) -> None:
    await client.get("/probe/hello?token=do-not-log", headers={"X-Request-ID": "req-1"})
    await client.post("/probe/hello", headers={"X-Request-ID": "req-2"})
    lines = _stdout_lines(capsys)
    assert len(lines) == 2
    assert re.fullmatch(
        rf"{STAMP} INFO app\.access: GET /probe/hello 200 \d+\.\d\dms req-1", lines[0]
    )
    assert re.fullmatch(
        rf"{STAMP} INFO app\.access: POST /probe/hello 405 \d+\.\d\dms req-2", lines[1]
    )


@pytest.mark.parametrize("config", [LOGGING])
async def test_access_log_can_go_through_logging(
    client: _Client,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level("INFO", logger="app.access")
    await client.get("/probe/hello?token=x", headers={"X-Request-ID": "req-1"})
    await client.post("/probe/hello", headers={"X-Request-ID": "req-2"})
    records = [r for r in caplog.records if r.name == "app.access"]
    assert len(records) == 2
    assert re.fullmatch(r"GET /probe/hello 200 \d+\.\d\dms", records[0].getMessage())
    assert re.fullmatch(r"POST /probe/hello 405 \d+\.\d\dms", records[1].getMessage())
    # The id, and the fields a JSON formatter writes, are the record's own.
    assert [getattr(r, "request_id", None) for r in records] == ["req-1", "req-2"]
    assert [getattr(r, "status", None) for r in records] == [200, 405]
    assert _stdout_lines(capsys) == []  # not written twice


@pytest.mark.parametrize("config", [{"TESTING": True, "ACCESS_LOG": "off"}])
async def test_access_log_can_be_off(
    client: _Client,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level("DEBUG")
    response = await client.get("/probe/hello", headers={"X-Request-ID": "req-1"})
    assert response.headers["X-Request-ID"] == "req-1"
    assert _stdout_lines(capsys) == []
    assert [r for r in caplog.records if r.name == "app.access"] == []


@pytest.mark.parametrize("config", [{"TESTING": True}, LOGGING])
async def test_credentials_never_reach_the_log(
    client: _Client,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level("DEBUG")
    await client.get(
        "/probe/user", headers={"Authorization": "Basic YWxpY2U6aHVudGVyMg=="}
    )
    logged = caplog.text + capsys.readouterr().out
    assert "GET /probe/user 401" in logged
    assert "hunter2" not in logged
    assert "YWxpY2U6aHVudGVyMg" not in logged


async def test_websockets_get_an_id_and_a_line(
    client: _Client, capsys: pytest.CaptureFixture[str]
) -> None:
    async with client.websocket(
        "/probe/ws/echo", headers={"X-Request-ID": "ws-1"}
    ) as echo:
        await echo.send("hi")
        assert await echo.receive() == "hi"
    with pytest.raises(WebsocketResponseError) as refused:
        async with client.websocket(
            "/probe/ws/guarded", headers={"X-Request-ID": "ws-2"}
        ):
            pass
    response = refused.value.response
    assert response.headers["X-Request-ID"] == "ws-2"
    assert (await response.get_json())["request_id"] == "ws-2"
    lines = _stdout_lines(capsys)
    assert re.search(r"app\.access: WS /probe/ws/echo 101 \d+\.\d\dms ws-1$", lines[0])
    assert re.search(
        r"app\.access: WS /probe/ws/guarded 401 \d+\.\d\dms ws-2$", lines[1]
    )
