"""/auth, /api/whoami and /api/secret through HTTP."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from quart.typing import TestClientProtocol as _Client
from werkzeug.security import generate_password_hash

from app.core.service import service

FAST = "pbkdf2:sha256:1000"  # tests only: a real hash, cheap enough to run often
CHALLENGE = f'Basic realm="{service().name}", charset="UTF-8"'


def basic(raw: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


@pytest.fixture
def config() -> dict[str, Any]:
    return {
        "TESTING": True,
        "BASIC_AUTH_USERS": {
            "alice": generate_password_hash("password", method=FAST),
            "colin": generate_password_hash("pa:ss:word", method=FAST),
        },
    }


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, {"scheme": None, "username": None}),
        (basic(b"alice:password"), {"scheme": "basic", "username": "alice"}),
        (basic(b"alice:wrong"), {"scheme": "basic", "username": "alice"}),
        ({"Authorization": "Bearer abc"}, {"scheme": "bearer", "username": None}),
        ({"Authorization": "Basic %%%"}, {"scheme": "basic", "username": None}),
    ],
)
async def test_auth_shows_the_header(
    client: _Client, headers: dict[str, str], body: dict[str, Any]
) -> None:
    response = await client.get("/auth", headers=headers)
    assert await response.get_json() == body
    assert "password" not in await response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("headers", "hello"),
    [
        (basic(b"alice:password"), "alice"),
        (basic(b"colin:pa:ss:word"), "colin"),
        ({}, "Anonymous"),
        (basic(b"alice:wrong"), "Anonymous"),
        (basic(b"mallory:password"), "Anonymous"),
        ({"Authorization": "Basic bm9jb2xvbg=="}, "Anonymous"),
    ],
)
async def test_whoami(client: _Client, headers: dict[str, str], hello: str) -> None:
    response = await client.get("/api/whoami", headers=headers)
    assert response.status_code == 200
    assert await response.get_json() == {"Hello": hello}


@pytest.mark.parametrize("credentials", [b"alice:password", b"colin:pa:ss:word"])
async def test_secret_with_valid_credentials(
    client: _Client, credentials: bytes
) -> None:
    response = await client.get("/api/secret", headers=basic(credentials))
    assert response.status_code == 200
    assert await response.get_json() == {"Hello": credentials.split(b":")[0].decode()}


@pytest.mark.parametrize(
    "authorization",
    [
        None,  # missing
        "Basic " + base64.b64encode(b"alice:wrong").decode(),  # wrong password
        "Basic " + base64.b64encode(b"mallory:password").decode(),  # unknown user
        "Bearer " + base64.b64encode(b"alice:password").decode(),  # not Basic
        "Basic YWxpY2U6cGFzc3dvcmQ",  # bad base64 (padding)
        "Basic *&^%$#",  # bad base64 (alphabet)
        "Basic " + base64.b64encode(b"alicepassword").decode(),  # no colon
        "Basic " + base64.b64encode(b"alice:\xff\xfe").decode(),  # not UTF-8
        "Basic YWxpY2U6cGFzc3dvcmQ=é",  # non-ASCII
        "Basic",  # no token
    ],
)
async def test_secret_refuses_with_a_challenge(
    client: _Client, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.get("/api/secret", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    body = await response.get_json()
    assert body["code"] == 401
    assert body["name"] == "Unauthorized"


class TestDevelopmentDefaults:
    """The README's alice / password works out of the box (a real scrypt hash)."""

    @pytest.fixture
    def config(self) -> dict[str, Any]:
        return {"TESTING": True}

    async def test_alice_password(self, client: _Client) -> None:
        response = await client.get("/api/secret", headers=basic(b"alice:password"))
        assert await response.get_json() == {"Hello": "alice"}
