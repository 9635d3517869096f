"""/api/yaml, /api/text, /api/created, /api/stream and /api/echo's happy paths."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from quart.typing import TestClientProtocol as _Client


async def test_yaml_body_is_exact(client: _Client) -> None:
    response = await client.get("/api/yaml")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-yaml"
    assert await response.get_data() == b"- Hello\n- YAML\n- World!\n"


async def test_text_is_html_utf8(client: _Client) -> None:
    response = await client.get("/api/text")
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert await response.get_data(as_text=True) == "Hello, World!"


async def test_created_is_201_with_location(client: _Client) -> None:
    response = await client.get("/api/created")
    assert response.status_code == 201
    assert response.headers["Location"] == "/api/person/1"
    assert await response.get_json() == {"id": "1", "name": "Alice"}


async def test_created_is_negotiated(client: _Client) -> None:
    response = await client.get("/api/created", headers={"Accept": "application/yaml"})
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/yaml"
    assert await response.get_data() == b"id: '1'\nname: Alice\n"


async def test_stream_sends_ten_ndjson_lines(client: _Client) -> None:
    response = await client.get("/api/stream")
    assert response.headers["Content-Type"] == "application/x-ndjson"
    lines = (await response.get_data(as_text=True)).splitlines()
    assert [json.loads(line) for line in lines] == [{"n": n} for n in range(10)]


@pytest.mark.parametrize(
    "data",
    [
        {"a": [1, 2.5, None, True, "é"]},
        [1, "two", {"three": 3}],
        "just text",
        42,
        {"deep": [[[[[[[[[["ok"]]]]]]]]]]},
    ],
)
@pytest.mark.parametrize(
    ("content_type", "dump"),
    [
        ("application/json", json.dumps),
        ("application/json; charset=utf-8", json.dumps),
        ("application/problem+json", json.dumps),
        ("application/x-yaml", yaml.safe_dump),
        ("application/yaml", yaml.safe_dump),
        ("text/yaml", yaml.safe_dump),
    ],
)
async def test_echo_round_trip(
    client: _Client, data: Any, content_type: str, dump: Any
) -> None:
    response = await client.post(
        "/api/echo", data=dump(data), headers={"Content-Type": content_type}
    )
    assert response.status_code == 200
    assert await response.get_json() == data


async def test_echo_answers_in_yaml_when_asked(client: _Client) -> None:
    response = await client.post(
        "/api/echo",
        json={"b": 1, "a": [True, None]},
        headers={"Accept": "application/x-yaml"},
    )
    assert response.headers["Content-Type"] == "application/x-yaml"
    assert "Accept" in response.vary
    assert await response.get_data() == b"b: 1\na:\n- true\n- null\n"


async def test_yaml_dates_stay_text(client: _Client) -> None:
    response = await client.post(
        "/api/echo",
        data="when: 2024-01-31\n",
        headers={"Content-Type": "application/yaml"},
    )
    assert await response.get_json() == {"when": "2024-01-31"}


@pytest.mark.parametrize(
    "path",
    [
        "/api", "/api/methods", "/api/details", "/person/1", "/person/x",
        "/decimals/1.5", "/many/a/b/1", "/path/a/b", "/about", "/api/person/1",
        "/uuid/6f1c0b8e-2a4b-4b5b-9c1d-0e2f3a4b5c6d", "/api/url-for?name=Alice",
        "/teams", "/teams/1", "/auth", "/api/whoami", "/api/ip", "/api/created",
    ],
)  # fmt: skip
async def test_every_data_endpoint_speaks_yaml(client: _Client, path: str) -> None:
    response = await client.get(path, headers={"Accept": "application/x-yaml"})
    assert response.status_code in (200, 201)
    assert response.headers["Content-Type"] == "application/x-yaml"
    assert "Accept" in response.vary
