"""Werkzeug's built-in converters, matched and refused."""

from __future__ import annotations

from typing import Any

import pytest
from quart.typing import TestClientProtocol as _Client


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/person/3", {"Hello": 3}),
        ("/person/0042", {"Hello": 42}),
        ("/person/simon", {"Hello": "simon"}),
        ("/person/-3", {"Hello": "-3"}),
        ("/person/3.5", {"Hello": "3.5"}),
        ("/decimals/3.14", {"Hello": 3.14}),
        ("/many/foo/bar/7", {"a": "foo", "b": "bar", "n": 7}),
        ("/path/some/path/like/this", {"Hello": "some/path/like/this"}),
        (
            "/uuid/6F1C0B8E-2A4B-4B5B-9C1D-0E2F3A4B5C6D",
            {"Hello": "6f1c0b8e-2a4b-4b5b-9c1d-0e2f3a4b5c6d"},
        ),
        ("/about", {"Hello": "about"}),
        ("/help", {"Hello": "help"}),
        ("/contact", {"Hello": "contact"}),
    ],
)
async def test_matches(client: _Client, path: str, body: dict[str, Any]) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert await response.get_json() == body


@pytest.mark.parametrize(
    "path",
    [
        "/decimals/3",
        "/decimals/x.5",
        "/decimals/" + "9" * 400 + ".0",  # a float would be infinity
        "/person/" + "9" * 5000,  # past Python's int digit limit
        "/many/foo/bar/x",
        "/many/foo/bar",
        "/uuid/not-a-uuid",
        "/uuid/6f1c0b8e2a4b4b5b9c1d0e2f3a4b5c6dff",
        "/other",
        "/path/",
    ],
)
async def test_no_match_is_a_json_404(client: _Client, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert (await response.get_json())["code"] == 404
