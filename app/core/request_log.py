"""Request ids and the access log, in one ASGI middleware.

An incoming ``X-Request-ID`` is kept when it is well formed (1-128 of
``A-Z a-z 0-9 . _ : -``), otherwise a new one is made; the response echoes it,
error bodies carry it, and one access line per request records it. A
WebSocket gets the same: the id on its handshake answer (``101`` or a
refusal), in its error bodies, and one line (method ``WS``) when it ends.

The id is also set for every log line written while the request is served
(``app.core.logs``), and the metrics, when on, are recorded here too
(``app.core.metrics``): this middleware already times each request.

``ACCESS_LOG`` says where the line goes:

- ``"stdout"`` (the default): written straight to standard output, in the
  same shape as the log lines that ``hypercorn.toml`` configures, text or
  JSON as ``LOG_FORMAT`` says::

      2026-11-28 18:30:00,123 INFO app.access: GET /api 200 0.41ms 3f2a...

  It skips ``logging``: making a ``LogRecord`` and passing it through
  handlers and formatters cost more than all the rest of what the kit adds
  to a small request (docs/benchmark.md). The line is one ``write``, so
  lines from several worker processes do not interleave.
- ``"logging"``: through the ``app.access`` logger at INFO, for your own
  handlers or pytest's ``caplog``; the record carries ``request_id``,
  ``method``, ``path``, ``status`` and ``duration_ms``; slower, as above.
- ``"off"``: no line; ids are still kept, made and echoed.
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterable
from time import perf_counter
from typing import Final, Literal

from hypercorn.typing import (
    ASGIFramework,
    ASGIReceiveCallable,
    ASGISendCallable,
    ASGISendEvent,
    Scope,
)
from quart import Quart

from app.core import logs
from app.core.metrics import Recorder
from app.core.settings import Settings

HEADER: Final = b"x-request-id"
_WELL_FORMED: Final = re.compile(rb"[A-Za-z0-9._:-]{1,128}")

access_log = logging.getLogger("app.access")


class AccessLogSettings(Settings):
    """Where the line per request goes (see the module's docstring)."""

    ACCESS_LOG: Literal["stdout", "logging", "off"] = "stdout"


# Records one request: method, raw path, status, milliseconds, request id.
AccessLine = Callable[[str, str, int, float, str], None]


def init_app(app: Quart) -> None:
    """Wrap the app so every request and WebSocket gets an id and a log line."""
    line = DESTINATIONS[app.config["ACCESS_LOG"]]
    if line is write_line and app.config["LOG_FORMAT"] == "json":
        line = write_json_line
    recorder = app.extensions.get(Recorder.EXTENSION)
    app.asgi_app = RequestLogMiddleware(  # type: ignore[method-assign]
        app.asgi_app, line, recorder
    )


def current_request_id() -> str | None:
    """The id of the request being handled, if any (set by the middleware below)."""
    return logs.request_id.get()


class RequestLogMiddleware:
    """Give each request an id, echo it, and record one line when it ends."""

    def __init__(
        self,
        app: ASGIFramework,
        line: AccessLine | None,
        recorder: Recorder | None = None,
    ) -> None:
        self.app = app
        self.line = line
        self.recorder = recorder

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope["headers"]) or secrets.token_hex(16)
        # The request's tasks copy this context: their log lines get the id.
        logs.request_id.set(request_id)
        echoed = (HEADER, request_id.encode())
        status = 0
        recorder = self.recorder if scope["type"] == "http" else None
        if recorder is not None:
            recorder.started()
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
            seconds = perf_counter() - start
            method = "WS" if scope["type"] == "websocket" else scope["method"]
            if recorder is not None:
                recorder.finished(method, status, seconds)
            if self.line is not None:
                self.line(
                    method,
                    # Still percent-encoded, so a path cannot forge a line.
                    scope["raw_path"].decode("ascii", "backslashreplace"),
                    status,
                    seconds * 1000,
                    request_id,
                )


def write_line(
    method: str, path: str, status: int, duration_ms: float, request_id: str
) -> None:
    """``ACCESS_LOG = "stdout"``: one line on standard output, flushed."""
    _write(
        f"{logs.LOCAL_TIME.stamp(time.time())} INFO app.access: {method} {path} "
        f"{status} {duration_ms:.2f}ms {request_id}"
    )


def write_json_line(
    method: str, path: str, status: int, duration_ms: float, request_id: str
) -> None:
    """``ACCESS_LOG = "stdout"`` with ``LOG_FORMAT = "json"``: one JSON line."""
    _write(
        logs.access_json_line(
            time.time(), method, path, status, duration_ms, request_id
        )
    )


def _write(line: str) -> None:
    try:
        sys.stdout.write(line + "\n")  # one write: workers' lines do not interleave
        sys.stdout.flush()
    except (OSError, ValueError):  # a closed or broken stdout loses lines, not requests
        pass


def log_line(
    method: str, path: str, status: int, duration_ms: float, request_id: str
) -> None:
    """``ACCESS_LOG = "logging"``: one record on the ``app.access`` logger.

    The id is the record's ``request_id``, which the kit's formatter writes.
    """
    fields = {
        "request_id": request_id,
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": round(duration_ms, 2),
    }
    access_log.info("%s %s %d %.2fms", method, path, status, duration_ms, extra=fields)


DESTINATIONS: Final[dict[str, AccessLine | None]] = {
    "stdout": write_line,  # or write_json_line, as LOG_FORMAT says
    "logging": log_line,
    "off": None,
}


def _incoming_id(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == HEADER:
            return value.decode() if _WELL_FORMED.fullmatch(value) else None
    return None
