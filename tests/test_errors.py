"""Every error is the same JSON body, with its headers kept."""

from __future__ import annotations

import pytest
from quart import Blueprint, Quart
from quart.typing import TestClientProtocol as _Client

from app.errors import APIError


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nowhere", 404),
        ("GET", "/api/person/99", 404),
        ("POST", "/api", 405),
        ("GET", "/api/url-for", 400),
        ("GET", "/api/secret", 401),
        ("POST", "/api/echo", 415),
        ("GET", "/api/boom", 500),
    ],
)
async def test_error_body_shape(
    client: _Client, method: str, path: str, status: int
) -> None:
    response = await client.open(path, method=method)  # type: ignore[call-arg]
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = await response.get_json()
    assert list(body) == ["code", "name", "message", "request_id"]
    assert body["code"] == status
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert isinstance(body["message"], str)
    assert body["message"]


async def test_406_when_nothing_acceptable(client: _Client) -> None:
    response = await client.get("/api", headers={"Accept": "text/html"})
    assert response.status_code == 406
    assert response.mimetype == "application/json"  # errors are always JSON
    assert "application/x-yaml" in (await response.get_json())["message"]


async def test_api_error_keeps_headers_and_extra_fields(app: Quart) -> None:
    extra = Blueprint("extra", __name__)

    @extra.get("/teapot")
    async def teapot() -> str:
        raise APIError(
            418, "Short and stout.", headers={"X-Tea": "earl grey"}, extra={"cups": 2}
        )

    app.register_blueprint(extra)
    response = await app.test_client().get("/teapot")
    assert response.status_code == 418
    assert response.headers["X-Tea"] == "earl grey"
    body = await response.get_json()
    assert body["name"] == "I'm a teapot"
    assert body["cups"] == 2
