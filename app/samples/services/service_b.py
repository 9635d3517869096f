"""Service B: the service that service A (``service_a``) calls.

In a real system it is another deployment; here it lives in the same kit so
``make run`` shows the call end to end. Its answer is part of the contract in
``client``: change it and the contract tests fail.
"""

from __future__ import annotations

from quart import Blueprint, Response

from app.core.responses import respond

blueprint = Blueprint("service_b", __name__, url_prefix="/b")


@blueprint.get("/")
async def index() -> Response:
    """B's answer."""
    return respond({"b": "b"})
