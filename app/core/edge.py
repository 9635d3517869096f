"""The HTTP edge: what every request and response gets before the app sees it.

One ASGI middleware, inside the request ids (so its answers carry one):

- **Trusted hosts.** A ``Host`` not in ``TRUSTED_HOSTS`` is a 400, before any
  URL is built from it (``url_for(..., _external=True)`` would otherwise
  reflect whatever host a client names). ``"*"`` trusts every host, for a
  proxy that checks it already; production must name its hosts.
- **Shutdown.** Once the server is told to stop (``app.core.shutdown``), a new
  request is answered 503 with ``Retry-After`` and ``Connection: close``
  without running it: a request that arrives on a kept-alive connection while
  Hypercorn closes it would otherwise run, commit, and lose its answer, and a
  client that retries would write twice. Answers in flight get ``Connection:
  close`` too.
- **Request targets.** A target that is neither a path (``/…``) nor
  ``OPTIONS *`` is a 400 (RFC 9112 §3.2): h11 passes ``GET healthz`` on, and
  Werkzeug would route it as ``/healthz``, where a proxy in front may have
  read it otherwise.
- **Request smuggling.** A request with both ``Content-Length`` and
  ``Transfer-Encoding`` is a 400 that closes the connection (RFC 9112
  §6.3): h11 reads it by ``Transfer-Encoding`` and would take what follows as
  the next request, where a proxy that read the length would not.
- **Security headers** on every response: ``X-Content-Type-Options: nosniff``,
  ``Content-Security-Policy: frame-ancestors 'none'`` (what
  ``X-Frame-Options: DENY`` said, for every browser since 2016) and
  ``Referrer-Policy: no-referrer``; and, with ``HSTS_MAX_AGE``
  set, ``Strict-Transport-Security`` on answers to HTTPS requests (the
  scheme the trusted proxy names, ``app.core.proxy``), which is where RFC
  6797 §7.2 wants it: over plain HTTP an attacker could strip or forge it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Final

from hypercorn.typing import (
    ASGIFramework,
    ASGIReceiveCallable,
    ASGISendCallable,
    ASGISendEvent,
    HTTPScope,
    Scope,
    WebsocketScope,
)
from pydantic import Field
from quart import Quart
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.sansio.utils import host_is_trusted

from app.core.request_log import current_request_id
from app.core.settings import SetInProduction, Settings
from app.core.shutdown import stopping

SECURITY_HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    # No page may frame an answer: CSP's frame-ancestors, which obsoletes
    # X-Frame-Options (CSP Level 2; every browser since 2016 honours it). Not
    # both: each header costs more in the server than most of the kit's work
    # on a small answer (docs/benchmark.md).
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
)
CLOSE: Final = (b"connection", b"close")
VERDICTS_KEPT: Final = 256
RETRY_AFTER_S: Final = 1


class EdgeSettings(Settings):
    """The host names this service answers to."""

    # Host names (without port) the service answers to; ".example.com" also
    # takes its subdomains; "*" takes any. Production must name its own.
    TRUSTED_HOSTS: Annotated[
        list[Annotated[str, Field(min_length=1)]], SetInProduction()
    ] = Field(default_factory=lambda: ["localhost", "127.0.0.1", "::1"])
    # Seconds browsers must use HTTPS only for this host after an answer over
    # HTTPS (a year: 31536000); 0 sends no Strict-Transport-Security. Set it
    # once every path to the service is HTTPS: browsers keep it.
    HSTS_MAX_AGE: Annotated[int, Field(ge=0)] = 0
    # With HSTS_MAX_AGE: every subdomain of this host too.
    HSTS_INCLUDE_SUBDOMAINS: bool = False


def security_headers(config: Mapping[str, Any]) -> tuple[tuple[bytes, bytes], ...]:
    """The headers for an answer over HTTPS: ``SECURITY_HEADERS`` and HSTS if set."""
    if not config["HSTS_MAX_AGE"]:
        return SECURITY_HEADERS
    value = f"max-age={config['HSTS_MAX_AGE']}"
    if config["HSTS_INCLUDE_SUBDOMAINS"]:
        value += "; includeSubDomains"
    return (*SECURITY_HEADERS, (b"strict-transport-security", value.encode()))


def init_app(app: Quart) -> None:
    """Wrap the app in the edge middleware (before the request ids wrap it)."""
    app.asgi_app = EdgeMiddleware(app)  # type: ignore[method-assign]


class EdgeMiddleware:
    """Refuse untrusted hosts and new requests at shutdown; add security headers."""

    def __init__(self, app: Quart) -> None:
        self.app: ASGIFramework = app.asgi_app
        self.stopping = stopping(app)
        hosts = app.config["TRUSTED_HOSTS"]
        self.trusted: list[str] | None = None if "*" in hosts else list(hosts)
        # Host header -> trusted: werkzeug's check encodes each name to IDNA
        # on every call, a few percent of a small request; a service sees few.
        self._verdicts: dict[bytes, bool] = {}
        self.over_https = security_headers(app.config)

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        secure = (
            self.over_https
            if scope.get("scheme") in ("https", "wss")
            else SECURITY_HEADERS
        )
        if self.trusted is not None and not self._host_trusted(scope):
            message = "The Host header names no host served here."
            await _refuse(scope, send, secure, 400, message)
            return
        if not _target_is_a_path(scope):
            message = "The request target must be a path that starts with /."
            await _refuse(scope, send, secure, 400, message)
            return
        if scope["type"] == "http" and _framed_twice(scope):
            message = "Content-Length and Transfer-Encoding together are refused."
            await _refuse(scope, send, secure, 400, message, close=True)
            return
        if self.stopping.is_set() and scope["type"] == "http":
            message = "The server is shutting down; retry."
            await _refuse(scope, send, secure, 503, message)
            return

        async def send_with_headers(message: ASGISendEvent) -> None:
            if message["type"] == "http.response.start":
                extra = [*secure, CLOSE] if self.stopping.is_set() else secure
                message["headers"] = [*message["headers"], *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _host_trusted(self, scope: HTTPScope | WebsocketScope) -> bool:
        for name, value in scope["headers"]:
            if name == b"host":
                verdict = self._verdicts.get(value)
                if verdict is None:
                    verdict = host_is_trusted(value.decode("latin-1"), self.trusted)
                    if len(self._verdicts) >= VERDICTS_KEPT:  # hosts a client made up
                        self._verdicts.clear()
                    self._verdicts[value] = verdict
                return verdict
        return True  # HTTP/1.0 without Host: nothing to build a URL from


def _target_is_a_path(scope: HTTPScope | WebsocketScope) -> bool:
    raw = scope["raw_path"]
    return raw.startswith(b"/") or (raw == b"*" and scope.get("method") == "OPTIONS")


def _framed_twice(scope: HTTPScope) -> bool:
    names = {name for name, _ in scope["headers"]}
    return b"content-length" in names and b"transfer-encoding" in names


async def _refuse(
    scope: Scope,
    send: ASGISendCallable,
    secure: Iterable[tuple[bytes, bytes]],
    status: int,
    message: str,
    *,
    close: bool = False,
) -> None:
    """The kit's JSON error, answered here since no request context exists yet."""
    body = json.dumps(
        {
            "code": status,
            "name": HTTP_STATUS_CODES[status],
            "message": message,
            "request_id": current_request_id(),
        },
        separators=(",", ":"),
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *secure,
    ]
    if status == 503:
        headers.append((b"retry-after", str(RETRY_AFTER_S).encode()))
    if close or status == 503:
        headers.append(CLOSE)
    if scope["type"] == "websocket":
        await send(
            {
                "type": "websocket.http.response.start",
                "status": status,
                "headers": headers,
            }
        )
        await send(
            {"type": "websocket.http.response.body", "body": body, "more_body": False}
        )
        return
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": headers,
            "trailers": False,
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
