"""Every error leaves the app as the same JSON body, built here and nowhere else.

``{"code": 404, "name": "Not Found", "message": "...", "request_id": "..."}``,
with the error's own headers kept (``Allow`` on 405, ``WWW-Authenticate`` on
401). A 500 has a fixed message and never echoes
the exception; with ``DEBUG`` on it adds a ``trace``.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any, Final

from quart import Quart, current_app
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from app.request_log import current_request_id

INTERNAL_ERROR_MESSAGE: Final = (
    "The server met an unexpected error. Quote the request_id when reporting it."
)

ErrorResponse = tuple[dict[str, Any], int, Headers]


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
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(APIError, _api_error)
    app.register_error_handler(Exception, _unexpected_error)


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON body shared by every error response."""
    return {
        "code": status,
        "name": HTTP_STATUS_CODES.get(status, "Unknown Error"),
        "message": message,
        "request_id": current_request_id(),
        **extra,
    }


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


async def _unexpected_error(error: Exception) -> ErrorResponse:
    current_app.logger.error(
        "unhandled error, request_id=%s", current_request_id(), exc_info=error
    )
    extra = {"trace": traceback.format_exception(error)} if current_app.debug else {}
    return error_body(500, INTERNAL_ERROR_MESSAGE, **extra), 500, Headers()
