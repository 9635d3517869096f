"""The client's address, and why ``X-Forwarded-For`` is ignored by default.

Behind ``PROXY_TRUSTED_HOPS`` trusted proxies the factory installs Hypercorn's
``ProxyFixMiddleware``, which takes the client from that many hops back.
Without it, anyone could claim any address in that header.
"""

from __future__ import annotations

from quart import Blueprint, Response, request
from quart_schema import document_response

from app.core.responses import respond
from app.samples.tour.schemas import Address

blueprint = Blueprint("client_address", __name__)


@blueprint.get("/api/ip")
@document_response(Address)
async def ip() -> Response:
    """The address of the client as this app sees it."""
    return respond({"ip": request.remote_addr})
