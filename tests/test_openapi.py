"""app.openapi: quart-schema's conversion of returned models still works.

The kit lets a ready ``Response`` skip that conversion (see app/openapi.py);
everything else, models above all, must still be converted.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from quart import Response

from app import create_app


class Greeting(BaseModel):
    hello: str


async def test_returned_models_are_still_converted() -> None:
    app = create_app({"TESTING": True})

    @app.get("/model")
    async def model() -> Any:  # quart-schema makes a model a valid return value
        return Greeting(hello="world"), 201, {"X-Kind": "model"}

    @app.get("/ready")
    async def ready() -> tuple[Response, int]:
        return Response("made", mimetype="text/plain"), 202

    client = app.test_client()
    converted = await client.get("/model")
    assert converted.status_code == 201
    assert converted.headers["X-Kind"] == "model"
    assert await converted.get_json() == {"hello": "world"}
    made = await client.get("/ready")
    assert made.status_code == 202
    assert await made.get_data(as_text=True) == "made"
