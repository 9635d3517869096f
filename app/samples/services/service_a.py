"""Service A: answers itself, and calls service B (``client``).

``GET /a/`` → ``{"a": "a"}``; ``GET /a/call_b`` → B's answer, or 502 when B
is down or breaks its contract, 504 when B is too slow.
"""

from __future__ import annotations

from quart import Blueprint, Response

from app.core.responses import respond
from app.samples.services.client import call_b

blueprint = Blueprint("service_a", __name__, url_prefix="/a")


@blueprint.get("/")
async def index() -> Response:
    """A's own answer."""
    return respond({"a": "a"})


@blueprint.get("/call_b")
async def calls_b() -> Response:
    """Call service B and pass its answer on."""
    return respond(await call_b())
