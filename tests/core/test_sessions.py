"""Cookie sessions are off: no cookie, no Vary: Cookie, a clear error on write."""

from __future__ import annotations

import pytest
from quart import Blueprint, Quart, session


async def test_responses_carry_no_session_state(app: Quart) -> None:
    response = await app.test_client().get(
        "/probe/hello", headers={"Cookie": "session=forged"}
    )
    assert "Set-Cookie" not in response.headers
    assert response.headers["Vary"] == "Accept"  # Quart 0.23 would add Cookie


async def test_writing_to_the_session_explains_itself(
    app: Quart, caplog: pytest.LogCaptureFixture
) -> None:
    stateful = Blueprint("stateful", __name__)

    @stateful.get("/remember")
    async def remember() -> str:
        session["user"] = "alice"
        return "remembered"

    app.register_blueprint(stateful)
    response = await app.test_client().get("/remember")
    assert response.status_code == 500
    assert "app/core/sessions.py" in caplog.text
