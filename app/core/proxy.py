"""Behind a reverse proxy: the client, scheme, host and path prefix it forwards.

With ``PROXY_TRUSTED_HOPS = n`` (the proxies in front that append to the
``X-Forwarded-*`` headers), the n-th value from the right of each header is
believed; with 0 (the default) every ``X-Forwarded-*`` header is ignored,
since any client can write one.

- ``X-Forwarded-For``, ``-Proto`` and ``-Host``: Hypercorn's
  ``ProxyFixMiddleware`` makes them the ASGI scope's client, scheme and
  ``Host``, so ``request.remote_addr``, ``request.scheme`` and
  ``url_for(..., _external=True)`` say what the client used.
- ``X-Forwarded-Prefix``: a proxy that serves the app under a sub-path
  (``/orders/...`` to the app's ``/...``) names the path it removed; it
  becomes the scope's ``root_path``, so ``url_for`` and ``Location`` headers
  carry it. Hypercorn's middleware does not read this header. A prefix
  that is not a plain path (``/a/b``, without ``..``, ``//`` or a query) is
  ignored. A proxy that passes the path on whole needs instead Hypercorn's
  own ``root_path`` setting, which Quart strips from each path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from hypercorn.middleware import ProxyFixMiddleware
from hypercorn.typing import ASGIFramework, ASGIReceiveCallable, ASGISendCallable, Scope
from quart import Quart

PREFIX_HEADER: Final = b"x-forwarded-prefix"
_PLAIN_PATH: Final = re.compile(r"(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+")


def init_app(app: Quart) -> None:
    """Believe the trusted proxies' ``X-Forwarded-*`` headers, if any are trusted."""
    if hops := app.config["PROXY_TRUSTED_HOPS"]:
        inner = ForwardedPrefix(app.asgi_app, hops)
        app.asgi_app = ProxyFixMiddleware(  # type: ignore[method-assign]
            inner, mode="legacy", trusted_hops=hops
        )


class ForwardedPrefix:
    """A trusted ``X-Forwarded-Prefix`` as the scope's ``root_path`` (see above)."""

    def __init__(self, app: ASGIFramework, hops: int) -> None:
        self.app = app
        self.hops = hops

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] == "http" or scope["type"] == "websocket":
            prefix = self._prefix(scope["headers"])
            if prefix:
                scope = scope.copy()
                scope["root_path"] = scope.get("root_path", "") + prefix
                scope["path"] = scope["root_path"] + scope["path"]
        await self.app(scope, receive, send)

    def _prefix(self, headers: Iterable[tuple[bytes, bytes]]) -> str | None:
        values = [
            part.strip()
            for name, value in headers
            if name.lower() == PREFIX_HEADER
            for part in value.decode("latin-1").split(",")
        ]
        if len(values) < self.hops:
            return None
        prefix = values[-self.hops].rstrip("/")
        if (
            not _PLAIN_PATH.fullmatch(prefix)
            or "/../" in prefix + "/"
            or "/./" in prefix + "/"
        ):
            return None
        return prefix
