"""/api/boom: an unexpected error is a fixed JSON 500, logged with its trace."""

from __future__ import annotations

from typing import Any

import pytest
from quart.typing import TestClientProtocol as _Client

from app.core.errors import INTERNAL_ERROR_MESSAGE


async def test_500_is_json_without_internals(
    client: _Client, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.get("/api/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.mimetype == "application/json"
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
        response = await client.get("/api/boom")
        body = await response.get_json()
        assert response.status_code == 500
        assert body["message"] == INTERNAL_ERROR_MESSAGE
        assert any("BoomError" in line for line in body["trace"])
