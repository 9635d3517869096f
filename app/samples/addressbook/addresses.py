"""The address book over HTTP: ``/addresses`` and ``/addresses/<id>``.

HTTP only: parse the request, call ``service``, shape the
answer. The status codes follow the Tornado microservice tutorial's address
book: 201 with a ``Location`` on create, 204 on update and delete, 404 for an
unknown id. ``ETag`` and ``If-Match`` make updates safe for concurrent writers
(a stale ETag gets 412). Errors here also carry the request's ``method`` and
``uri``. quart-schema validates bodies against ``Entry`` (422 naming each bad
field) and lists these routes in ``/openapi.json``.
"""

from __future__ import annotations

from quart import Blueprint, Response, request, url_for
from quart_schema import (
    document_headers,
    document_querystring,
    document_response,
    validate_querystring,
    validate_request,
)

from app.core import database
from app.core.documentation import NoContent, documents_errors, documents_links
from app.core.domain import NotFoundError
from app.core.errors import add_request_fields
from app.core.responses import respond
from app.samples.addressbook.schemas import (
    Created,
    Entries,
    Entry,
    Page,
    PageLinks,
    Preconditions,
    StoredEntry,
    Versioned,
)
from app.samples.addressbook.service import AddressBook

blueprint = Blueprint("addresses", __name__, url_prefix="/addresses")
add_request_fields(blueprint)

# Ids are checked by the view, not by an int converter, so that any id that
# is not one still reaches this blueprint's errors (with method and uri).
MAX_ID_DIGITS = 18  # a BIGINT holds them all


@blueprint.get("")
@validate_querystring(Page)
@document_querystring(Page)
@document_response(Entries, 200, PageLinks)
@documents_errors(422, 503)
async def index(query_args: Page) -> Response:
    """List entries in creation order: ``{"<id>": {entry}, ...}``.

    ``limit`` (1-500, default 50) caps the page; ``after`` starts it after that
    id. A ``Link: <...>; rel="next"`` header points to the next page.
    """
    page = await _book().page(query_args.limit, query_args.after)
    response = respond({str(item.id): item.entry for item in page.items})
    if page.more:
        following = url_for(
            "addresses.index", limit=query_args.limit, after=page.items[-1].id
        )
        response.headers["Link"] = f'<{following}>; rel="next"'
    return response


@blueprint.post("")
@validate_request(Entry)
@document_response(StoredEntry, 201, Created)
@documents_errors(422, 503)
@documents_links(
    "addresses.read",
    "addresses.replace",
    "addresses.remove",
    address_id="id",
)
async def create(data: Entry) -> tuple[Response, int, dict[str, str]]:
    """Add an entry; 201 with its ``Location``, and the entry with its id."""
    stored = await _book().create(data)
    location = url_for("addresses.read", address_id=stored.id)
    headers = {"Location": location, "ETag": _etag(stored.version)}
    return respond({"id": stored.id, **stored.entry}), 201, headers


@blueprint.get("/<address_id>")
@document_response(Entry, 200, Versioned)
@documents_errors(404, 503)
async def read(address_id: str) -> Response:
    """One entry, with its ``ETag``; 404 if there is none."""
    stored = await _book().get(_parse_id(address_id))
    response = respond(stored.entry)
    response.headers["ETag"] = _etag(stored.version)
    return response


@blueprint.put("/<address_id>")
@validate_request(Entry)
@document_headers(Preconditions)
@document_response(NoContent, 204, Versioned)
@documents_errors(404, 412, 422, 503)
async def replace(address_id: str, data: Entry) -> tuple[str, int, dict[str, str]]:
    """Replace an entry; 204. With ``If-Match``, 412 if it changed since."""
    versions = _if_match_versions()
    stored = await _book().update(_parse_id(address_id), data, versions)
    return "", 204, {"ETag": _etag(stored.version)}


@blueprint.delete("/<address_id>")
@document_response(NoContent, 204)
@documents_errors(404, 503)
async def remove(address_id: str) -> tuple[str, int]:
    """Delete an entry; 204, or 404 if there is none."""
    await _book().delete(_parse_id(address_id))
    return "", 204


def _book() -> AddressBook:
    return AddressBook(database.opened())


def _parse_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= MAX_ID_DIGITS):
        raise NotFoundError("There is no entry with that id.")
    return int(raw)


def _etag(version: int) -> str:
    return f'"{version}"'


def _if_match_versions() -> set[int] | None:
    """The versions ``If-Match`` accepts; None when any will do (absent, or ``*``).

    If-Match compares strongly, so weak tags (``W/"1"``) never match.
    """
    if_match = request.if_match
    if not if_match or if_match.star_tag:
        return None
    tags = if_match.as_set()
    return {
        int(tag)
        for tag in tags
        if tag.isascii() and tag.isdigit() and len(tag) <= MAX_ID_DIGITS
    }
