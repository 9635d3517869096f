"""The A→B contract, checked from both sides.

``app.service_b.CONTRACT`` says what A sends and which fields A reads. Here it
is checked against B's real app (so a change to B's answer fails the build)
and against what A does (so A cannot start relying on more than it says).
"""

from __future__ import annotations

from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as _Client

from app import create_app
from app.core.domain import UpstreamError
from app.samples.services import client as service_b
from app.samples.services.client import CONTRACT
from tests.support.inprocess import Recording, b_client, transport


async def test_b_honours_the_contract() -> None:
    b = create_app({"TESTING": True})
    async with b_client(transport(b)) as client:
        response = await client.request(CONTRACT.method, CONTRACT.path)
    assert CONTRACT.check(response.status_code, response.json()) == response.json()


async def test_a_sends_exactly_what_the_contract_says(
    app: Quart, client: _Client
) -> None:
    recording = Recording(create_app({"TESTING": True}))
    async with b_client(recording) as b:
        service_b.use_client(app, b)
        assert (await client.get("/a/call_b")).status_code == 200
    [sent] = recording.requests
    assert sent.method == CONTRACT.method
    assert sent.url.path == "/b/" + CONTRACT.path


async def _a_with_b_answering(app: Quart, client: _Client, body: Any) -> int:
    """A's status when B answers ``body`` (a stand-in B that breaks the contract)."""
    changed = Quart("changed_b")

    @changed.get("/b/")
    async def answer() -> Any:
        return body

    async with b_client(transport(changed)) as b:
        service_b.use_client(app, b)
        return (await client.get("/a/call_b")).status_code


async def test_extra_fields_from_b_do_not_break_a(app: Quart, client: _Client) -> None:
    assert await _a_with_b_answering(app, client, {"b": "b", "new": 1}) == 200


@pytest.mark.parametrize("body", [{"bee": "b"}, {"b": 2}, ["b"]])
async def test_a_changed_shape_is_caught(
    app: Quart, client: _Client, body: Any
) -> None:
    assert await _a_with_b_answering(app, client, body) == 502
    with pytest.raises(UpstreamError):
        CONTRACT.check(200, body)
