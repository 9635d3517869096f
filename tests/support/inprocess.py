"""Serve an app in-process to an ``httpx.AsyncClient``: no port, no network."""

from __future__ import annotations

from typing import Any, cast

import httpx
from quart import Quart


def transport(app: Quart) -> httpx.ASGITransport:
    """An httpx transport that calls ``app`` directly through ASGI."""
    # httpx types ASGI messages as plain dicts, Quart as TypedDicts: same shapes.
    return httpx.ASGITransport(app=cast("Any", app))


class Recording(httpx.AsyncBaseTransport):
    """An in-process transport to ``app`` that keeps each request it carries."""

    def __init__(self, app: Quart) -> None:
        self.inner = transport(app)
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


def b_client(via: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
    """A client for service B at ``/b/``, through ``via``."""
    return httpx.AsyncClient(transport=via, base_url="http://localhost/b/")
