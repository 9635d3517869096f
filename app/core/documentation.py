"""What ``/openapi.json`` says about a route's answers, beyond quart-schema's own.

A route documents its success with quart-schema's ``document_response(Model,
status, HeadersModel)``: the body is JSON, or YAML when the client asks
(``respond()``), and the headers model names the response headers it sets
(``NoContent`` for a 204). It documents the errors its own code raises with
``documents_errors(404, 412, ...)``, a body that does not go through
``respond()`` with ``documents_media("text/html")``, and where its answer
leads with ``documents_links``. Every error is ``ErrorBody``, the one shape
``app.core.errors`` builds.

The core adds, to every operation, what the core itself answers
(``app.core.openapi_document``): 500 on any route; 404 when the URL has
variables (a converter refused one); 400, 408 and 413 when the route reads a
documented request body; 406 when the answer is negotiated; 401 with its
challenge when the route requires ``BASIC_AUTH``; and ``X-Request-ID`` on
every answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

T = TypeVar("T", bound=Callable[..., Any])

ERRORS_ATTRIBUTE: Final = "_kit_documented_errors"
MEDIA_ATTRIBUTE: Final = "_kit_documented_media"
LINKS_ATTRIBUTE: Final = "_kit_documented_links"
BODY_ATTRIBUTE: Final = "_kit_documented_body"

# A character that pydantic's ``strip_whitespace`` keeps (it strips Unicode's
# White_Space): as the ``pattern`` of stripped text with ``min_length=1``, it
# tells clients, in the schema, that blank text is refused too.
NOT_BLANK: Final = (
    r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)

# Security requirements for quart-schema's ``security_scheme``: Basic
# credentials required (a 401 without them), or optional (the route answers
# anonymous callers too).
BASIC_AUTH: Final[list[dict[str, list[str]]]] = [{"basic": []}]
OPTIONAL_BASIC_AUTH: Final[list[dict[str, list[str]]]] = [{"basic": []}, {}]


class FieldError(BaseModel):
    """One invalid field of a 422: where it is and what is wrong with it."""

    field: str = Field(description="Dotted path of the field; `body` for the whole.")
    message: str


class ErrorBody(BaseModel):
    """Every error's body: the status, its name, a safe message, the request id.

    A 422 lists each invalid field in ``errors``; some blueprints add the
    request's ``method`` and ``uri``; a 503 from ``/readyz`` names the
    ``failing`` checks. ``trace`` only appears with ``DEBUG`` on.
    """

    model_config = ConfigDict(extra="allow")

    code: int = Field(ge=400, le=599, description="The HTTP status.")
    name: str = Field(description='The status\'s name, e.g. "Not Found".')
    message: str
    request_id: str = Field(description="Quote it when reporting the error.")
    errors: list[FieldError] | SkipJsonSchema[None] = None
    method: str | SkipJsonSchema[None] = None
    uri: str | SkipJsonSchema[None] = Field(
        default=None, description="The path and query string as received."
    )
    failing: list[str] | SkipJsonSchema[None] = None
    trace: list[str] | SkipJsonSchema[None] = None


class Status(BaseModel):
    """The health probes' answer; ``degraded`` names optional dependencies down."""

    status: Literal["ok", "degraded"]
    degraded: list[str] | None = None


class NoContent:
    """A response without a body, for ``document_response(NoContent, 204)``."""


def documents_errors(*statuses: int) -> Callable[[T], T]:
    """Document the error statuses that this view raises itself, each as ``ErrorBody``.

    The statuses the core gives any route are added without it (see the module).
    A view that never succeeds (a demonstration of a 500) names its error here.
    """

    def decorator(func: T) -> T:
        known: frozenset[int] = getattr(func, ERRORS_ATTRIBUTE, frozenset())
        setattr(func, ERRORS_ATTRIBUTE, known | frozenset(statuses))
        return func

    return decorator


def documents_media(*media_types: str) -> Callable[[T], T]:
    """Document the media types of a success body that is not negotiated.

    Without it, a documented body is JSON or YAML as ``respond()`` negotiates.
    """

    def decorator(func: T) -> T:
        setattr(func, MEDIA_ATTRIBUTE, tuple(media_types))
        return func

    return decorator


def documents_body(content: dict[str, dict[str, Any]]) -> Callable[[T], T]:
    """Document a request body that no pydantic model describes (an upload).

    ``content`` maps each media type to its schema:
    ``{"image/png": {"type": "string", "format": "binary"}}``.
    """

    def decorator(func: T) -> T:
        setattr(func, BODY_ATTRIBUTE, content)
        return func

    return decorator


def documented_body(func: Callable[..., Any]) -> dict[str, dict[str, Any]] | None:
    """What ``documents_body`` recorded on ``func``, if anything."""
    body: dict[str, dict[str, Any]] | None = getattr(func, BODY_ATTRIBUTE, None)
    return body


def documents_links(*endpoints: str, **parameters: str) -> Callable[[T], T]:
    """Document that this view's success leads to ``endpoints`` (``url_for`` names).

    Each of their URL variables names the field of the answer's JSON body that
    fills it, or is an OpenAPI runtime expression (``$response.header.X``):
    ``documents_links("addresses.read", address_id="id")``. Clients, and
    fuzzers, follow the link to the thing just made.
    """
    expressions = {
        name: value if value.startswith("$") else f"$response.body#/{value}"
        for name, value in parameters.items()
    }

    def decorator(func: T) -> T:
        known: dict[str, dict[str, str]] = getattr(func, LINKS_ATTRIBUTE, {})
        setattr(func, LINKS_ATTRIBUTE, known | dict.fromkeys(endpoints, expressions))
        return func

    return decorator


def documented_links(func: Callable[..., Any]) -> dict[str, dict[str, str]]:
    """The endpoints ``func`` links to, and how their URL variables are filled."""
    links: dict[str, dict[str, str]] = getattr(func, LINKS_ATTRIBUTE, {})
    return links


def documented_errors(func: Callable[..., Any]) -> frozenset[int]:
    """The error statuses ``func`` documents with ``documents_errors``."""
    errors: frozenset[int] = getattr(func, ERRORS_ATTRIBUTE, frozenset())
    return errors


def documented_media(func: Callable[..., Any]) -> tuple[str, ...] | None:
    """The media types ``func`` documents with ``documents_media``; None: negotiated."""
    media: tuple[str, ...] | None = getattr(func, MEDIA_ATTRIBUTE, None)
    return media
