"""Werkzeug's built-in converters: int, float, path, uuid, any, and the default.

For ``/person/<...>`` both rules match digits; werkzeug tries the ``int`` rule
first (converters have weights), so ``/person/3`` gives the number 3 and
``/person/simon`` the text. These are the book's URLs, so there is no prefix.
"""

from __future__ import annotations

import math
import uuid
from typing import Literal

from quart import Blueprint, Response
from quart_schema import document_response
from werkzeug.exceptions import NotFound

from app.core.responses import respond
from app.samples.tour.schemas import Greeting, Variables

blueprint = Blueprint("builtin_converters", __name__)


# Both rules are one path in /openapi.json, so they document the same answer.
@blueprint.get("/person/<int:person_id>")
@document_response(Greeting[int | str])
async def person_by_number(person_id: int) -> Response:
    """Greet a person by number (a JSON integer)."""
    return respond({"Hello": person_id})


@blueprint.get("/person/<person_id>")
@document_response(Greeting[int | str])
async def person_by_name(person_id: str) -> Response:
    """Greet a person by anything that is not a number."""
    return respond({"Hello": person_id})


@blueprint.get("/decimals/<float:value>")
@document_response(Greeting[float])
async def decimals(value: float) -> Response:
    """Echo a decimal number; ``/decimals/3`` has no dot and is a 404.

    So is a number too long for a float (400 digits), which would be infinity.
    """
    if not math.isfinite(value):
        raise NotFound("That number is too large for a float.")
    return respond({"Hello": value})


# string: spelt out, so that quart-schema can tell the variables apart.
@blueprint.get("/many/<string:a>/<string:b>/<int:n>")
@document_response(Variables)
async def many(a: str, b: str, n: int) -> Response:
    """Take several variables from one URL."""
    return respond({"a": a, "b": b, "n": n})


@blueprint.get("/path/<path:subpath>")
@document_response(Greeting[str])
async def path(subpath: str) -> Response:
    """Take the rest of the path, slashes included."""
    return respond({"Hello": subpath})


@blueprint.get("/uuid/<uuid:identifier>")
@document_response(Greeting[uuid.UUID])
async def by_uuid(identifier: uuid.UUID) -> Response:
    """Echo a UUID in its canonical lower-case form."""
    return respond({"Hello": str(identifier)})


@blueprint.get("/<any(about, help, contact):page>")
@document_response(Greeting[Literal["about", "help", "contact"]])
async def page(page: str) -> Response:
    """One rule for three fixed pages; any other word is a 404."""
    return respond({"Hello": page})
