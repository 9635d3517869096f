"""Log lines, text or JSON, each with the id of the request it was written for."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from quart.typing import TestClientProtocol as _Client

from app.core.logs import Formatter, RequestIdFilter, access_json_line, json_line
from tests.support.live import Server
from tests.support.probe import PROBE_APP

JSON_LINES = {"TESTING": True, "LOG_FORMAT": "json", "ACCESS_LOG": "logging"}
TEXT_LINES = {"TESTING": True, "ACCESS_LOG": "logging"}


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    """What the ``app`` loggers write through a handler like hypercorn.toml's."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(Formatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("app")
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.mark.parametrize("config", [TEXT_LINES])
async def test_text_lines_end_with_the_request_id(
    client: _Client, written: io.StringIO
) -> None:
    response = await client.get("/probe/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    lines = written.getvalue().splitlines()
    error = next(line for line in lines if "unhandled error" in line)
    assert re.fullmatch(r"\S+ \S+ ERROR app: unhandled error.* boom-1", error)
    assert "Traceback (most recent call last):" in lines  # below it
    access = next(line for line in lines if " app.access: " in line)
    assert re.search(r"app\.access: GET /probe/boom 500 \d+\.\d\dms boom-1$", access)


@pytest.mark.parametrize("config", [JSON_LINES])
async def test_json_lines_carry_the_request_id(
    client: _Client, written: io.StringIO
) -> None:
    response = await client.get("/probe/boom")
    request_id = response.headers["X-Request-ID"]
    lines = [json.loads(line) for line in written.getvalue().splitlines()]
    error = next(line for line in lines if line["level"] == "ERROR")
    assert error["logger"] == "app"
    assert error["request_id"] == request_id
    assert "ProbeError" in error["exception"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", error["time"])
    access = next(line for line in lines if line["logger"] == "app.access")
    assert access["request_id"] == request_id
    assert (access["method"], access["path"], access["status"]) == (
        "GET",
        "/probe/boom",
        500,
    )


async def test_lines_outside_a_request_have_no_id(
    client: _Client, written: io.StringIO
) -> None:
    await client.get("/probe/hello")
    logging.getLogger("app.elsewhere").warning("between requests")
    assert (
        written.getvalue().splitlines()[-1].endswith("app.elsewhere: between requests")
    )


@pytest.mark.parametrize("config", [{"TESTING": True, "LOG_FORMAT": "json"}])
async def test_the_access_line_on_stdout_is_json_too(
    client: _Client, capsys: pytest.CaptureFixture[str]
) -> None:
    await client.get("/probe/hello?x=1", headers={"X-Request-ID": "req-1"})
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert line["logger"] == "app.access"
    assert line["request_id"] == "req-1"
    assert line["path"] == "/probe/hello"  # never the query string
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)


@pytest.mark.parametrize(
    ("method", "path", "status", "duration_ms"),
    [
        ("GET", "/api", 200, 0.4149),
        ("POST", '/a"quote\\back%20slash\\xff', 404, 12.0),
        ("WS", "/ünï/code", 101, 123456.789),
    ],
)
def test_the_access_line_put_together_is_json_line(
    method: str, path: str, status: int, duration_ms: float
) -> None:
    created = 1_796_060_000.0625
    message = f"{method} {path} {status} {duration_ms:.2f}ms"
    fields = {
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": round(duration_ms, 2),
    }
    expected = json_line(created, "INFO", "app.access", message, "id-1", fields)
    assert access_json_line(created, method, path, status, duration_ms, "id-1") == (
        expected
    )


def test_the_servers_own_lines_are_json(
    start_server: Callable[..., Server],
) -> None:
    server = start_server({"APP_LOG_FORMAT": "json"}, target=PROBE_APP).start()
    response = httpx.get(f"{server.url}/probe/boom", headers={"X-Request-ID": "live-1"})
    assert response.status_code == 500
    server.wait_for(r'"app\.access".*"live-1"')
    assert server.stop() == 0
    lines: list[dict[str, Any]] = [
        json.loads(line) for line in server.output().splitlines() if line
    ]
    loggers = {line["logger"] for line in lines}
    assert {"hypercorn.error", "app", "app.access"} <= loggers
    assert any(line["message"].startswith("Running on") for line in lines)
    error = next(line for line in lines if line["level"] == "ERROR")
    assert error["request_id"] == "live-1"
