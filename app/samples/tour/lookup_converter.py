"""A custom converter that looks values up, and ``url_for`` building its URLs.

``/api/person/<registered:name>`` receives a user id and hands the view the
user's name (see ``converters.registered``); ``/api/url-for?name=Alice`` builds
that URL back from the name. The book's URLs are the contract, so no prefix.
"""

from __future__ import annotations

from quart import Blueprint, Response, request, url_for
from quart_schema import document_querystring, document_response

from app.core.documentation import documents_errors
from app.core.errors import APIError
from app.core.responses import respond
from app.samples.tour.schemas import Greeting, Url, UrlForQuery

blueprint = Blueprint("lookup_converter", __name__)

_TRUE = frozenset({"1", "true", "yes", "on"})


@blueprint.get("/api/person/<registered:name>")
@document_response(Greeting[str])
async def person(name: str) -> Response:
    """Greet a registered user by name; the URL carries the user's id."""
    return respond({"Hello": name})


# Documented, not validated: the view answers a missing name with its own 400.
@blueprint.get("/api/url-for")
@document_querystring(UrlForQuery)
@document_response(Url)
@documents_errors(400, 404)
async def build_url() -> Response:
    """Build the URL of ``person`` for ``?name=``; ``&external=1`` makes it absolute."""
    name = request.args.get("name")
    if not name:
        raise APIError(400, "The query parameter 'name' is required.")
    external = request.args.get("external", "").lower() in _TRUE
    try:
        url = url_for("lookup_converter.person", name=name, _external=external)
    except ValueError:  # the converter's to_url: not a registered name
        raise APIError(404, f"No registered user is called {name!r}.") from None
    return respond({"url": url})
