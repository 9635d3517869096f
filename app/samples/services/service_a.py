"""Service A: answers itself, and calls service B (``client``).

``GET /a/`` → ``{"a": "a"}``; ``GET /a/call_b`` → B's answer, or 502 when B
is down or breaks its contract, 504 when B is too slow.
"""

from __future__ import annotations

from quart import Blueprint, Response
from quart_schema import document_response

from app.core.documentation import documents_errors
from app.core.responses import respond
from app.samples.services.client import call_b
from app.samples.services.schemas import AnswerA, AnswerB

blueprint = Blueprint("service_a", __name__, url_prefix="/a")


@blueprint.get("/")
@document_response(AnswerA)
async def index() -> Response:
    """A's own answer."""
    return respond({"a": "a"})


@blueprint.get("/call_b")
@document_response(AnswerB)
@documents_errors(502, 504)
async def calls_b() -> Response:
    """Call service B and pass its answer on."""
    return respond(await call_b())
