"""/api, /api/methods and /api/details: methods, HEAD, OPTIONS and 405s."""

from __future__ import annotations

import pytest
from quart.typing import TestClientProtocol as _Client


async def test_hello(client: _Client) -> None:
    response = await client.get("/api")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert await response.get_json() == {"Hello": "World!"}


async def test_options_lists_the_methods(client: _Client) -> None:
    response = await client.options("/api")
    assert response.status_code == 200
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("method", ["POST", "DELETE", "PUT", "PATCH"])
async def test_other_methods_are_405_with_allow(client: _Client, method: str) -> None:
    response = await client.open("/api", method=method)  # type: ignore[call-arg]
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    body = await response.get_json()
    assert body["code"] == 405
    assert body["name"] == "Method Not Allowed"


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
async def test_methods_echoes_the_method(client: _Client, method: str) -> None:
    response = await client.open("/api/methods", method=method)  # type: ignore[call-arg]
    assert response.status_code == 200
    assert await response.get_json() == {"method": method}


async def test_methods_refuses_put(client: _Client) -> None:
    response = await client.put("/api/methods")
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, POST"


async def test_details_describes_the_request(client: _Client) -> None:
    response = await client.get("/api/details?x=1&x=2&y=%C3%A9")
    assert await response.get_json() == {
        "method": "GET",
        "path": "/api/details",
        "endpoint": "basics.details",
        "args": {"x": ["1", "2"], "y": ["é"]},
    }


async def test_details_has_no_automatic_options(client: _Client) -> None:
    response = await client.options("/api/details")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
