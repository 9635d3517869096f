"""Parsing the Authorization header and checking passwords, without HTTP."""

from __future__ import annotations

import asyncio
import base64

import pytest
from werkzeug.security import generate_password_hash

from app.core.auth import (
    CONCURRENT_CHECKS,
    Authorization,
    PasswordBook,
    parse_authorization,
)
from app.core.errors import APIError


def basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, Authorization()),
        ("", Authorization()),
        (basic(b"alice:password"), Authorization("basic", "alice", "password")),
        ("bAsIc " + basic(b"alice:pw")[6:], Authorization("basic", "alice", "pw")),
        (basic(b"alice:pa:ss"), Authorization("basic", "alice", "pa:ss")),
        (basic(b"alice:"), Authorization("basic", "alice", "")),
        (basic("zoë:pässword".encode()), Authorization("basic", "zoë", "pässword")),
        ("Bearer abc.def", Authorization("bearer")),
        ("Digest username=x", Authorization("digest")),
        ("Basic", Authorization("basic")),
        ("Basic !!!!", Authorization("basic")),  # not base64
        ("Basic YWxpY2U", Authorization("basic")),  # bad padding
        ("Basic é", Authorization("basic")),  # non-ASCII token
        (basic(b"alice"), Authorization("basic")),  # no colon
        (basic(b":password"), Authorization("basic")),  # no user
        (basic(b"\xff\xfe:x"), Authorization("basic")),  # not UTF-8
    ],
)
def test_parse_authorization(header: str | None, expected: Authorization) -> None:
    assert parse_authorization(header) == expected


def test_password_is_not_in_the_repr() -> None:
    assert "secret" not in repr(parse_authorization(basic(b"alice:secret")))


FAST = "pbkdf2:sha256:1000"  # tests only: a real hash, cheap enough to run often


@pytest.fixture(scope="module")
def book() -> PasswordBook:
    return PasswordBook({"alice": generate_password_hash("password", method=FAST)})


@pytest.mark.parametrize(
    ("authorization", "user"),
    [
        (Authorization("basic", "alice", "password"), "alice"),
        (Authorization("basic", "alice", "wrong"), None),
        (Authorization("basic", "Alice", "password"), None),
        (Authorization("basic", "mallory", "password"), None),  # decoy hash, same cost
        (Authorization("basic"), None),
        (Authorization("bearer"), None),
    ],
)
async def test_verify(
    book: PasswordBook, authorization: Authorization, user: str | None
) -> None:
    assert await book.verify(authorization) == user


async def test_no_users_means_nobody_gets_in() -> None:
    assert await PasswordBook({}).verify(Authorization("basic", "alice", "x")) is None


async def test_a_flood_of_checks_is_refused_at_once_not_queued() -> None:
    book = PasswordBook(
        {"alice": generate_password_hash("password", method=FAST)}, max_waiting=1
    )
    attempt = Authorization("basic", "alice", "password")
    running = [
        asyncio.ensure_future(book.verify(attempt)) for _ in range(CONCURRENT_CHECKS)
    ]
    waiting = asyncio.ensure_future(book.verify(attempt))
    await asyncio.sleep(0)  # let each take its turn or its place in the queue
    with pytest.raises(APIError) as refused:
        await book.verify(attempt)  # the queue is full
    assert (refused.value.status, refused.value.headers) == (503, {"Retry-After": "1"})
    assert await asyncio.gather(*running, waiting) == ["alice"] * (
        CONCURRENT_CHECKS + 1
    )
