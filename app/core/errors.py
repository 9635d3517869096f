"""Every error leaves the app as the same JSON body, built here and nowhere else.

``{"code": 404, "name": "Not Found", "message": "...", "request_id": "..."}``,
with the error's own headers kept (``Allow`` on 405, ``WWW-Authenticate`` on
401). Services' domain errors (``app.core.domain``) get their status here; a body
that fails its quart-schema model is a 422 listing each invalid field in
``errors``. A 500 has a fixed message and never echoes the exception; with
``DEBUG`` on it adds a ``trace``. An extension maps exceptions of its own
with ``register`` (the database's unavailability is a 503 with
``Retry-After``). ``add_request_fields(blueprint)`` makes a blueprint's errors
also carry the request's ``method`` and ``uri``.

In a WebSocket handler, an error before ``websockets.accept()`` is the same
HTTP answer to the handshake; after it, the socket is closed instead: with the
code and reason of a ``WebSocketError``, 1011 ("Internal error") for anything
unexpected, and 1008 with the message for any other 4xx.
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from pydantic import ValidationError
from quart import Blueprint, Quart, current_app, has_request_context, request
from quart.blueprints import BlueprintSetupState
from quart_schema import RequestSchemaValidationError
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from app.core import websockets as ws
from app.core.domain import (
    ConflictError,
    DomainError,
    NotFoundError,
    StaleVersionError,
    UpstreamError,
    UpstreamTimeoutError,
)
from app.core.request_log import current_request_id

INTERNAL_ERROR_MESSAGE: Final = (
    "The server met an unexpected error. Quote the request_id when reporting it."
)
# The app extension that names the blueprints whose errors carry the request.
DETAILED: Final = "errors.detailed_blueprints"

ErrorResponse = tuple[dict[str, Any], int, Headers]
Handler = Callable[[Any], Awaitable[ErrorResponse]]
WebSocketHandler = Callable[[Any], Awaitable[ErrorResponse | str]]
MAX_REASON_BYTES: Final = 123  # what fits in a close frame

# The most specific class that a domain error is an instance of wins.
DOMAIN_STATUS: Final[tuple[tuple[type[DomainError], int], ...]] = (
    (UpstreamTimeoutError, 504),
    (UpstreamError, 502),
    (StaleVersionError, 412),
    (ConflictError, 409),
    (NotFoundError, 404),
    (DomainError, 400),
)


class APIError(Exception):
    """An error the kit turns into its JSON body: a status and a message safe to show.

    ``headers`` go on the response; ``extra`` adds fields to the body.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def init_app(app: Quart) -> None:
    """Register the handlers; the most specific class wins, ``Exception`` last."""
    for error_class, handler in _HANDLERS:
        register(app, error_class, handler)
    app.register_error_handler(ws.WebSocketError, _websocket_error)


def register(app: Quart, error_class: type[Exception], handler: Handler) -> None:
    """Answer ``error_class`` with what ``handler`` returns (body, status, headers).

    In an accepted WebSocket the socket is closed instead (see the module).
    """
    app.register_error_handler(error_class, _closing(handler))


def add_request_fields(blueprint: Blueprint) -> None:
    """Make errors from ``blueprint``'s views also carry ``method`` and ``uri``.

    Routing errors (no rule matched, so no blueprint either) keep the plain body.
    """

    def detailed(state: BlueprintSetupState) -> None:
        name = f"{state.name_prefix}.{state.name}".lstrip(".")
        state.app.extensions.setdefault(DETAILED, set()).add(name)

    blueprint.record_once(detailed)


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON body shared by every error response."""
    body = {
        "code": status,
        "name": HTTP_STATUS_CODES.get(status, "Unknown Error"),
        "message": message,
        "request_id": current_request_id(),
        **extra,
    }
    if has_request_context() and request.blueprint in current_app.extensions.get(
        DETAILED, ()
    ):
        query = request.query_string.decode("latin-1")
        body["method"] = request.method
        body["uri"] = f"{request.path}?{query}" if query else request.path
    return body


async def internal_error(error: Exception) -> ErrorResponse:
    """The fixed 500: logged with its trace and the request id, never echoed."""
    current_app.logger.error(
        "unhandled error, request_id=%s", current_request_id(), exc_info=error
    )
    extra = {"trace": traceback.format_exception(error)} if current_app.debug else {}
    return error_body(500, INTERNAL_ERROR_MESSAGE, **extra), 500, Headers()


def sorted_methods(allow: str) -> str:
    """An ``Allow`` value in a fixed order (werkzeug builds it from a set)."""
    return ", ".join(sorted(method.strip() for method in allow.split(",")))


async def _http_error(error: HTTPException) -> ErrorResponse:
    status = error.code or 500
    headers = Headers(error.get_headers())
    headers.remove("Content-Type")
    if allow := headers.get("Allow"):
        headers["Allow"] = sorted_methods(allow)
    message = error.description or HTTP_STATUS_CODES.get(status, "")
    return error_body(status, message), status, headers


async def _api_error(error: APIError) -> ErrorResponse:
    body = error_body(error.status, error.message, **error.extra)
    return body, error.status, Headers(error.headers)


async def _domain_error(error: DomainError) -> ErrorResponse:
    status = next(code for cls, code in DOMAIN_STATUS if isinstance(error, cls))
    return error_body(status, str(error)), status, Headers()


async def _schema_error(error: RequestSchemaValidationError) -> ErrorResponse:
    cause = error.validation_error
    if isinstance(cause, ValidationError):
        errors = [
            {"field": ".".join(map(str, item["loc"])) or "body", "message": item["msg"]}
            for item in cause.errors(include_url=False)
        ]
    else:  # quart-schema wraps TypeError and ValueError too
        errors = [{"field": "body", "message": "The body does not fit the schema."}]
    fields = ", ".join(dict.fromkeys(item["field"] for item in errors))
    body = error_body(422, f"Invalid fields: {fields}.", errors=errors)
    return body, 422, Headers()


_HANDLERS: Final[tuple[tuple[type[Exception], Handler], ...]] = (
    (HTTPException, _http_error),
    (APIError, _api_error),
    (DomainError, _domain_error),
    (RequestSchemaValidationError, _schema_error),
    (Exception, internal_error),
)


async def _websocket_error(error: ws.WebSocketError) -> ErrorResponse | str:
    if not ws.is_accepted():  # refuse the handshake, as for any error before accept
        return error_body(403, error.reason or "Forbidden"), 403, Headers()
    await ws.close(error.code, _reason(error.reason))
    return ""  # the socket is closed; Quart sends nothing more


def _closing(handler: Handler) -> WebSocketHandler:
    """In an accepted WebSocket, close it instead of answering."""

    async def handle(error: Exception) -> ErrorResponse | str:
        answer = await handler(error)
        if not ws.is_accepted():
            return answer
        body, status, _ = answer
        if status >= 500:
            await ws.close(ws.INTERNAL_ERROR, "Internal error")
        else:
            await ws.close(ws.POLICY_VIOLATION, _reason(body["message"]))
        return ""

    return handle


def _reason(text: str) -> str:
    return text.encode()[:MAX_REASON_BYTES].decode(errors="ignore")
