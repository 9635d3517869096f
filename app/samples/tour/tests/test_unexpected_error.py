"""/api/boom: an unexpected error is the core's fixed JSON 500, internals kept back.

How the core builds, logs and (in debug) details that 500 is tested in
``tests/core/test_errors.py``.
"""

from __future__ import annotations

from quart.typing import TestClientProtocol as _Client

from app.core.errors import INTERNAL_ERROR_MESSAGE


async def test_500_is_json_without_internals(client: _Client) -> None:
    response = await client.get("/api/boom")
    assert response.status_code == 500
    body = await response.get_json()
    assert (body["code"], body["message"]) == (500, INTERNAL_ERROR_MESSAGE)
    assert "hunter2" not in await response.get_data(as_text=True)
