"""Request ids and the access log, in one ASGI middleware.

An incoming ``X-Request-ID`` is kept when it is well formed (1-128 of
``A-Z a-z 0-9 . _ : -``), otherwise a new one is made; the response echoes it,
error bodies carry it, and one access line per request records it. A
WebSocket gets the same: the id on its handshake answer (``101`` or a
refusal), in its error bodies, and one line (method ``WS``) when it ends.

The line is written by the ``app.access`` logger, configured by the server
(``logconfig_dict`` in ``hypercorn.toml``). It replaces Hypercorn's own access
log, which builds a dozen fields per request that nobody reads.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from time import perf_counter
from typing import Final, cast

from hypercorn.typing import (
    ASGIFramework,
    ASGIReceiveCallable,
    ASGISendCallable,
    ASGISendEvent,
    Scope,
)
from quart import Quart, has_request_context, has_websocket_context, request, websocket

HEADER: Final = b"x-request-id"
SCOPE_KEY: Final = "app.request_id"
_WELL_FORMED: Final = re.compile(rb"[A-Za-z0-9._:-]{1,128}")

access_log = logging.getLogger("app.access")


def init_app(app: Quart) -> None:
    """Wrap the app so every request and WebSocket gets an id and a log line."""
    app.asgi_app = RequestLogMiddleware(app.asgi_app)  # type: ignore[method-assign]


def current_request_id() -> str | None:
    """The id of the request being handled, if any."""
    if has_request_context():
        return cast(str | None, request.scope.get(SCOPE_KEY))
    if has_websocket_context():
        return cast(str | None, websocket.scope.get(SCOPE_KEY))
    return None


class RequestLogMiddleware:
    """Give each request an id, echo it, and log one line when the response ends."""

    def __init__(self, app: ASGIFramework) -> None:
        self.app = app

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope["headers"]) or secrets.token_hex(16)
        scope[SCOPE_KEY] = request_id  # type: ignore[typeddict-unknown-key]
        echoed = (HEADER, request_id.encode())
        status = 0
        start = perf_counter()

        async def send_with_id(message: ASGISendEvent) -> None:
            nonlocal status
            if message["type"] in (
                "http.response.start",
                "websocket.http.response.start",
            ):
                status = message["status"]
                message["headers"] = [*message["headers"], echoed]
            elif message["type"] == "websocket.accept":
                status = 101
                message["headers"] = [*message.get("headers", ()), echoed]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                # handle(makeRecord(...)) is what .info() does, minus the walk up
                # the stack to find the caller, which an access line never shows.
                access_log.handle(
                    access_log.makeRecord(
                        access_log.name,
                        logging.INFO,
                        __file__,
                        0,
                        "%s %s %d %.2fms %s",
                        (
                            "WS" if scope["type"] == "websocket" else scope["method"],
                            # Still percent-encoded, so a path cannot forge a line.
                            scope["raw_path"].decode("ascii", "backslashreplace"),
                            status,
                            (perf_counter() - start) * 1000,
                            request_id,
                        ),
                        None,
                    )
                )


class LineFormatter(logging.Formatter):
    """A ``logging.Formatter`` that renders each second's timestamp once.

    ``hypercorn.toml`` uses it for every log line: formatting the date for
    each access line was a tenth of the kit's own cost per request.
    """

    _second: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        if datefmt:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        cached_second, text = self._second
        if second != cached_second:
            text = time.strftime(self.default_time_format, self.converter(second))
            self._second = (second, text)
        return f"{text},{int(record.msecs):03d}"


def _incoming_id(headers: object) -> str | None:
    for name, value in cast(list[tuple[bytes, bytes]], headers):
        if name == HEADER:
            return value.decode() if _WELL_FORMED.fullmatch(value) else None
    return None
