"""Every error is the same JSON body, from one place, with its headers kept."""

from __future__ import annotations

from typing import Any

import pytest
from quart import Blueprint, Quart, Response
from quart.typing import TestClientProtocol as _Client

from app.core.errors import INTERNAL_ERROR_MESSAGE, add_request_fields
from app.core.responses import respond


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nowhere", 404),
        ("GET", "/probe/missing", 404),  # a service's NotFoundError
        ("POST", "/probe/hello", 405),
        ("POST", "/probe/echo", 415),
        ("GET", "/probe/user", 401),
        ("GET", "/probe/teapot", 418),
        ("GET", "/probe/boom", 500),
    ],
)
async def test_error_body_shape(
    client: _Client, method: str, path: str, status: int
) -> None:
    response = await client.open(path, method=method)  # type: ignore[call-arg]
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = await response.get_json()
    assert list(body)[:4] == ["code", "name", "message", "request_id"]
    assert body["code"] == status
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert isinstance(body["message"], str)
    assert body["message"]


async def test_405_keeps_allow_in_order(client: _Client) -> None:
    response = await client.post("/probe/hello")
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


async def test_401_keeps_its_challenge(client: _Client) -> None:
    response = await client.get("/probe/user")
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="')


async def test_406_when_nothing_acceptable(client: _Client) -> None:
    response = await client.get("/probe/hello", headers={"Accept": "text/html"})
    assert response.status_code == 406
    assert response.mimetype == "application/json"  # errors are always JSON
    assert "application/x-yaml" in (await response.get_json())["message"]


async def test_api_error_keeps_headers_and_extra_fields(client: _Client) -> None:
    response = await client.get("/probe/teapot")
    assert response.status_code == 418
    assert response.headers["X-Tea"] == "earl grey"
    body = await response.get_json()
    assert body["name"] == "I'm a teapot"
    assert body["cups"] == 2


async def test_422_names_each_invalid_field(client: _Client) -> None:
    response = await client.post("/probe/things", json={"name": "", "extra": 1})
    assert response.status_code == 422
    body = await response.get_json()
    assert body["message"] == "Invalid fields: name, count, extra."
    assert [e["field"] for e in body["errors"]] == ["name", "count", "extra"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"name": "a\\u0000b", "count": 1}', "NUL character"),
        (b'{"name": "\\ud800", "count": 1}', "lone surrogate"),
        (b'{"name": ' + b"[" * 40 + b"]" * 40 + b"}", "nested deeper than 32"),
    ],
)
async def test_a_model_gets_the_same_text_policy(
    client: _Client, body: bytes, message: str
) -> None:
    response = await client.post(
        "/probe/things", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert message in (await response.get_json())["message"]


async def test_json_never_holds_nan_or_infinity(app: Quart) -> None:
    @app.get("/infinite")
    async def infinite() -> Response:
        return respond({"value": float("inf")})

    response = await app.test_client().get("/infinite")
    assert response.status_code == 500  # logged; the body stays valid JSON
    assert (await response.get_json())["code"] == 500


async def test_a_body_that_is_not_json_is_400_for_a_model(client: _Client) -> None:
    response = await client.post(
        "/probe/things", data=b"{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert (await response.get_json())["message"] == "Invalid JSON body"


async def test_500_is_json_without_internals(
    client: _Client, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.get("/probe/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert await response.get_json() == {
        "code": 500,
        "name": "Internal Server Error",
        "message": INTERNAL_ERROR_MESSAGE,
        "request_id": "boom-1",
    }
    text = await response.get_data(as_text=True)
    assert "hunter2" not in text
    assert "Traceback" not in text
    # The operator still gets the whole story, tied to the request id.
    (record,) = [r for r in caplog.records if r.name == "app"]
    assert "boom-1" in record.getMessage()
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])


class TestDebug:
    @pytest.fixture
    def config(self) -> dict[str, Any]:
        return {"TESTING": True, "DEBUG": True}

    async def test_debug_adds_a_trace(self, client: _Client) -> None:
        response = await client.get("/probe/boom")
        body = await response.get_json()
        assert response.status_code == 500
        assert body["message"] == INTERNAL_ERROR_MESSAGE
        assert any("ProbeError" in line for line in body["trace"])


async def test_a_blueprint_can_add_the_request_to_its_errors(app: Quart) -> None:
    detailed = Blueprint("detailed", __name__)
    add_request_fields(detailed)

    @detailed.get("/detailed/<int:n>")
    async def fails(n: int) -> str:
        raise ValueError("unexpected")

    app.register_blueprint(detailed)
    client = app.test_client()
    body = await (await client.get("/detailed/7?q=1")).get_json()
    assert (body["code"], body["method"], body["uri"]) == (
        500,
        "GET",
        "/detailed/7?q=1",
    )
    # An unmatched URL has no blueprint: the plain body.
    assert "method" not in await (await client.get("/detailed/x")).get_json()
