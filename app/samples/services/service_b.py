"""Service B: the service that service A (``service_a``) calls.

In a real system it is another deployment; here it lives in the same kit so
``make run`` shows the call end to end. Its answer is part of the contract in
``client``: change it and the contract tests fail.
"""

from __future__ import annotations

from quart import Blueprint, Response
from quart_schema import document_response

from app.core.responses import respond
from app.samples.services.schemas import AnswerB

blueprint = Blueprint("service_b", __name__, url_prefix="/b")


@blueprint.get("/")
@document_response(AnswerB)
async def index() -> Response:
    """B's answer."""
    return respond({"b": "b"})
