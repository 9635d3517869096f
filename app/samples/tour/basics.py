"""Routing basics: a hello endpoint, HTTP methods, and what a request carries.

``/api`` answers GET (HEAD and OPTIONS come free); ``/api/methods`` takes GET,
POST and DELETE; ``/api/details`` turns the automatic OPTIONS off. The book's
URLs are the contract here, so the URLs, not the module name, give the rules.
"""

from __future__ import annotations

from quart import Blueprint, Response, request
from quart_schema import document_response

from app.core.responses import respond
from app.samples.tour.schemas import Details, Greeting, Method

blueprint = Blueprint("basics", __name__)


@blueprint.get("/api")
@document_response(Greeting[str])
async def hello() -> Response:
    """Say hello. Quart adds HEAD and OPTIONS; other methods get a 405."""
    return respond({"Hello": "World!"})


@blueprint.route("/api/methods", methods=["GET", "POST", "DELETE"])
@document_response(Method)
async def methods() -> Response:
    """Echo the request's method."""
    return respond({"method": request.method})


@blueprint.get("/api/details", provide_automatic_options=False)
@document_response(Details)
async def details() -> Response:
    """Describe the request: method, path, endpoint and query arguments."""
    return respond(
        {
            "method": request.method,
            "path": request.path,
            "endpoint": request.endpoint,
            "args": request.args.to_dict(flat=False),
        }
    )
