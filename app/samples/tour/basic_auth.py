"""HTTP Basic authentication: what the header says, who it is, and a guarded page.

``/auth`` shows the parsed header (never the password); ``/api/whoami`` says
who you are or "Anonymous"; ``/api/secret`` answers 401 with a
``WWW-Authenticate`` challenge unless the credentials are right.
"""

from __future__ import annotations

from quart import Blueprint, Response, request
from quart_schema import document_response, security_scheme

from app.core.auth import authenticated_user, parse_authorization, require_user
from app.core.documentation import BASIC_AUTH, OPTIONAL_BASIC_AUTH
from app.core.responses import respond
from app.samples.tour.schemas import Authorization, Greeting

blueprint = Blueprint("basic_auth", __name__)


@blueprint.get("/auth")
@security_scheme(OPTIONAL_BASIC_AUTH)
@document_response(Authorization)
async def show_authorization() -> Response:
    """The ``Authorization`` header's scheme and, for valid Basic, the user name."""
    authorization = parse_authorization(request.headers.get("Authorization"))
    return respond({"scheme": authorization.scheme, "username": authorization.username})


@blueprint.get("/api/whoami")
@security_scheme(OPTIONAL_BASIC_AUTH)
@document_response(Greeting[str])
async def whoami() -> Response:
    """The authenticated user, or "Anonymous" for missing or wrong credentials."""
    user = await authenticated_user(request.headers)
    return respond({"Hello": user or "Anonymous"})


@blueprint.get("/api/secret")
@security_scheme(BASIC_AUTH)
@document_response(Greeting[str])
async def secret() -> Response:
    """Only for valid Basic credentials; anything else is a 401 challenge."""
    return respond({"Hello": await require_user(request.headers)})
