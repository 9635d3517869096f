"""Outgoing HTTP: ``httpx.AsyncClient`` instances built the same way everywhere.

Each extension that calls out (the webhook worker, service clients) opens its
own client while the app serves and closes it after. Building a verifying
TLS context parses the whole CA bundle, the largest cost of a client, so the
clients share one per process, made in a worker thread when a client first
sends a request: a start, or a client that never calls out, does not pay it.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from typing import Any

import httpx

from app.core import tracing
from app.core.service import service


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verified TLS context, made once, on first use."""
    return httpx.create_ssl_context()


class DeferredTransport(httpx.AsyncBaseTransport):
    """httpx's own transport, made when the first request goes out."""

    def __init__(self) -> None:
        self._transport: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the transport, making it first if need be."""
        if self._transport is None:
            context = await asyncio.to_thread(tls_context)
            if self._transport is None:  # another request may have made it meanwhile
                self._transport = httpx.AsyncHTTPTransport(verify=context)
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the connections, if any were made."""
        if self._transport is not None:
            await self._transport.aclose()


def client(timeout: float, **options: Any) -> httpx.AsyncClient:
    """A client with ``timeout`` seconds for each phase, no redirects followed."""
    options.setdefault("follow_redirects", False)
    options.setdefault("transport", DeferredTransport())
    made = httpx.AsyncClient(
        timeout=timeout,
        headers={"user-agent": f"{service().name}/{service().version}"},
        **options,
    )
    return tracing.instrument(made)  # a child span per call, when tracing is on
