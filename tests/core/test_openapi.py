"""app.openapi: the conversion of returned models still works; API_DOCS.

The kit lets a result that the conversion would not change skip it (see
app/openapi.py): such results must come out as Quart makes them, and
everything else, models above all, must still be converted.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel
from quart import Response
from quart.typing import TestClientProtocol as _Client

from app import create_app
from tests.core.test_settings import PRODUCTION as CORE_PRODUCTION
from tests.support.probe import create_core_app


class Greeting(BaseModel):
    hello: str


async def test_returned_models_are_still_converted() -> None:
    app = create_app({"TESTING": True})

    @app.get("/model")
    async def model() -> Any:  # quart-schema makes a model a valid return value
        return Greeting(hello="world"), 201, {"X-Kind": "model"}

    @app.get("/ready")
    async def ready() -> tuple[Response, int]:
        return Response("made", mimetype="text/plain"), 202

    client = app.test_client()
    converted = await client.get("/model")
    assert converted.status_code == 201
    assert converted.headers["X-Kind"] == "model"
    assert await converted.get_json() == {"hello": "world"}
    made = await client.get("/ready")
    assert made.status_code == 202
    assert await made.get_data(as_text=True) == "made"


async def test_plain_results_keep_their_status_and_headers() -> None:
    app = create_app({"TESTING": True})

    @app.get("/bytes")
    async def as_bytes() -> tuple[bytes, int, dict[str, str]]:
        return b"raw", 201, {"Content-Type": "text/plain", "X-Kind": "bytes"}

    @app.get("/text")
    async def as_text() -> tuple[str, dict[str, str]]:
        return "text", {"X-Kind": "text"}

    client = app.test_client()
    raw = await client.get("/bytes")
    assert raw.status_code == 201
    assert (raw.mimetype, raw.headers["X-Kind"]) == ("text/plain", "bytes")
    assert await raw.get_data() == b"raw"
    text = await client.get("/text")
    assert (text.status_code, text.headers["X-Kind"]) == (200, "text")
    assert await text.get_data(as_text=True) == "text"


async def test_what_the_conversion_changes_is_still_converted() -> None:
    app = create_app({"TESTING": True})

    @app.get("/underscore")
    async def underscore() -> tuple[str, int, dict[str, str]]:
        return "text", 200, {"X_Kind": "snake"}

    @app.get("/nested")
    async def nested() -> Any:
        return {"greeting": Greeting(hello="world")}, 200, {"X-Kind": "nested"}

    client = app.test_client()
    kebab = await client.get("/underscore")
    assert kebab.headers["X-Kind"] == "snake"
    assert "X_Kind" not in kebab.headers
    dumped = await client.get("/nested")
    assert dumped.headers["X-Kind"] == "nested"
    assert await dumped.get_json() == {"greeting": {"hello": "world"}}


async def test_the_docs_page_needs_nothing_from_another_origin(client: _Client) -> None:
    page = await (await client.get("/docs")).get_data(as_text=True)
    assert "https://" not in page
    assert "http://" not in page
    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f'"docs/static/{name}"' in page
        served = await client.get(f"/docs/static/{name}")
        assert served.status_code == 200
        assert len(await served.get_data()) > 100_000
    assert (await client.get("/docs/static/../../settings.py")).status_code == 404


# The test client asks for localhost.
PRODUCTION = {**CORE_PRODUCTION, "TRUSTED_HOSTS": ["localhost"]}


@pytest.mark.parametrize(
    ("config", "served"),
    [
        ({"TESTING": True}, True),
        ({"TESTING": True, "API_DOCS": False}, False),
        (PRODUCTION, False),
        ({**PRODUCTION, "API_DOCS": True}, True),
    ],
)
async def test_the_document_and_ui_are_off_in_production_unless_asked(
    config: dict[str, Any], served: bool
) -> None:
    client = create_core_app(config).test_client()
    answers = [await client.get(path) for path in ("/openapi.json", "/docs")]
    expected = 200 if served else 404
    assert [a.status_code for a in answers] == [expected, expected]
    if not served:
        assert (await answers[0].get_json())["code"] == 404  # the kit's JSON error
    ui = await client.get("/docs/static/swagger-ui.css")
    assert ui.status_code == expected
    assert (await client.get("/healthz")).status_code == 200
