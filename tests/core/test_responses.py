"""yamlify, and content negotiation between JSON and YAML (via /probe/hello)."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from quart import Response
from quart.typing import TestClientProtocol as _Client

from app.core.responses import YAML_INLINE_NODES, respond, yamlify
from tests.support.probe import create_core_app
from tests.support.turns import turns_during

JSON_HELLO = b'{"Hello":"World!"}\n'
YAML_HELLO = b"Hello: World!\n"
ID = uuid.UUID("0b9c6c4e-7d8a-4f35-9a57-7a3e1c2b4d5f")


def test_yamlify_returns_body_status_headers() -> None:
    assert yamlify(["Hello", "YAML", "World!"]) == (
        b"- Hello\n- YAML\n- World!\n",
        200,
        {"Content-Type": "application/x-yaml"},
    )


def test_yamlify_keeps_order_unicode_and_extra_headers() -> None:
    body, status, headers = yamlify({"b": "é", "a": 1}, 202, {"X-Extra": "1"})
    assert body == "b: é\na: 1\n".encode()
    assert status == 202
    assert headers == {"Content-Type": "application/x-yaml", "X-Extra": "1"}


def test_yamlify_refuses_arbitrary_objects() -> None:
    with pytest.raises(Exception, match="cannot represent"):
        yamlify(object())


@pytest.mark.parametrize(
    ("accept", "content_type", "body"),
    [
        (None, "application/json", JSON_HELLO),
        ("", "application/json", JSON_HELLO),
        ("*/*", "application/json", JSON_HELLO),
        ("application/json", "application/json", JSON_HELLO),
        ("application/*", "application/json", JSON_HELLO),
        ("application/x-yaml", "application/x-yaml", YAML_HELLO),
        ("application/yaml", "application/yaml", YAML_HELLO),
        ("text/yaml", "text/yaml; charset=utf-8", YAML_HELLO),
        ("text/*", "text/yaml; charset=utf-8", YAML_HELLO),
        ("text/html, application/x-yaml;q=0.5", "application/x-yaml", YAML_HELLO),
        ("application/x-yaml;q=0.5, application/json", "application/json", JSON_HELLO),
    ],
)  # fmt: skip
async def test_negotiation(
    client: _Client, accept: str | None, content_type: str, body: bytes
) -> None:
    headers = {} if accept is None else {"Accept": accept}
    response = await client.get("/probe/hello", headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert "Accept" in response.vary
    assert await response.get_data() == body


@pytest.mark.parametrize("accept", ["text/html", "application/json;q=0", "image/*"])
async def test_nothing_acceptable_is_406(client: _Client, accept: str) -> None:
    response = await client.get("/probe/hello", headers={"Accept": accept})
    assert response.status_code == 406


@pytest.mark.parametrize(
    "data",
    [
        {"items": [{"n": n, "name": "é"} for n in range(3_000)]},  # one big item
        [{"n": n, "tags": ["a", "b"]} for n in range(3_000)],  # sent in pieces
        {f"k{n}": [n, {"n": n}] for n in range(YAML_INLINE_NODES * 3 + 1)},
        [],
        {},
        "a string",
    ],
    ids=["nested", "list", "dict", "empty list", "empty dict", "scalar"],
)
async def test_every_yaml_answer_is_what_yamlify_writes(
    client: _Client, data: Any
) -> None:
    response = await client.post(
        "/probe/echo",
        data=json.dumps(data),
        headers={"Content-Type": "application/json", "Accept": "application/yaml"},
    )
    assert response.status_code == 200
    body = await response.get_data()
    assert body == yamlify(data)[0]
    assert yaml.load(body, Loader=yaml.CSafeLoader) == data


async def test_a_large_yaml_answer_leaves_the_event_loop_free(
    client: _Client,
) -> None:
    body = json.dumps(list(range(100_000)))
    headers = {"Content-Type": "application/json", "Accept": "application/yaml"}
    response, turns = await turns_during(
        client.post("/probe/echo", data=body, headers=headers)
    )
    assert response.status_code == 200
    assert len(await response.get_data()) > 100_000
    # Dumped on the loop, the request takes a few dozen turns, none during the
    # dump; dumped in a thread, the loop turns thousands of times meanwhile.
    assert turns > 100


async def test_json_answers_keep_order_convert_values_and_refuse_nan() -> None:
    app = create_core_app({"TESTING": True})
    when = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

    @app.get("/value")
    async def value() -> Response:
        return respond({"b": "é", "a": [1.5, None, True], "when": when, "id": ID})

    @app.get("/nan")
    async def nan() -> Response:
        return respond({"a": math.nan})

    client = app.test_client()
    body = await (await client.get("/value")).get_data()
    assert body == (
        b'{"b":"\\u00e9","a":[1.5,null,true],'
        b'"when":"2026-11-30T12:00:00Z","id":"' + str(ID).encode() + b'"}\n'
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined] # still counts
    text = await (await client.get("/value")).get_data(as_text=True)
    assert text.startswith('{"b":"é"')
    response = await client.get("/nan")  # never a body no JSON parser reads
    assert response.status_code == 500
    assert (await response.get_json())["code"] == 500
