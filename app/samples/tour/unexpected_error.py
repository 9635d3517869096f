"""A route that fails on purpose, to show what a 500 looks like.

The body is the kit's fixed JSON error with the request id and no trace
(``app.core.errors``); with ``DEBUG`` on it adds one.
"""

from __future__ import annotations

from quart import Blueprint

from app.core.documentation import documents_errors

blueprint = Blueprint("unexpected_error", __name__)


class BoomError(RuntimeError):
    """Raised by ``/api/boom``; its message must never reach the client."""


@blueprint.get("/api/boom")
@documents_errors(500)
async def boom() -> str:
    """Raise an unexpected error."""
    raise BoomError("internal detail: /etc/secret-path, password=hunter2")
