"""Response types: YAML, text, a 201 with headers, a stream, and an echo.

A view may return a dict or list (JSON), a str (HTML text), a Response, a
``(body, status, headers)`` tuple, or an async generator (streamed). The
negotiated ones go through ``app.core.responses.respond``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from quart import Blueprint, Response, url_for
from quart_schema import document_request, document_response

from app.core.documentation import documents_errors, documents_media
from app.core.parsing import load_body
from app.core.responses import YAML, respond, yamlify
from app.samples.tour.schemas import Anything, Located, Person

blueprint = Blueprint("formats", __name__)

STREAM_LINES = 10


@blueprint.get("/api/yaml")
@document_response(list[str])
@documents_media(YAML)
async def as_yaml() -> tuple[bytes, int, dict[str, str]]:
    """A list as YAML, with ``yamlify`` alone (no negotiation)."""
    return yamlify(["Hello", "YAML", "World!"])


@blueprint.get("/api/text")
@document_response(str)
@documents_media("text/html")
async def as_text() -> str:
    """A plain ``str``: Quart serves it as ``text/html; charset=utf-8``."""
    return "Hello, World!"


@blueprint.get("/api/created")
@document_response(Person, 201, Located)
async def created() -> tuple[Response, int, dict[str, str]]:
    """The ``(body, 201, headers)`` form, pointing ``Location`` at the new thing."""
    location = url_for("lookup_converter.person", name="Alice")
    return respond({"id": "1", "name": "Alice"}), 201, {"Location": location}


@blueprint.get("/api/stream")
@document_response(str)
@documents_media("application/x-ndjson")
async def stream() -> tuple[AsyncIterator[bytes], int, dict[str, str]]:
    """Ten NDJSON lines, sent one by one from an async generator."""

    async def lines() -> AsyncIterator[bytes]:
        for n in range(STREAM_LINES):
            yield json.dumps({"n": n}, separators=(",", ":")).encode() + b"\n"

    return lines(), 200, {"Content-Type": "application/x-ndjson"}


@blueprint.post("/api/echo")
@document_request(Anything)
@document_response(Anything)
@documents_errors(415)
async def echo() -> Response:
    """Send back a JSON or YAML body, in the format the client accepts."""
    data: Any = await load_body()
    return respond(data)
