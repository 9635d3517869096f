"""Service A's client for service B, and the contract between the two.

``CONTRACT`` writes down, once, the request A makes and the response fields
A relies on. The client below builds its request from it and checks the
answer against it; the contract tests check B's real app against it. So a
change to B's response shape fails the build, not production.

B unreachable, or answering anything but the contract (a 5xx, say), is
``UpstreamError`` (502); B slower than ``SERVICE_B_TIMEOUT`` is
``UpstreamTimeoutError`` (504). The request id goes along in ``X-Request-ID``.
With ``SERVICE_B_URL`` unset, A calls the ``/b/`` of the server that took the
request, at the address it was bound to (never the client's ``Host``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx
from quart import Quart, current_app, request

from app.core import outgoing
from app.core.domain import UpstreamError, UpstreamTimeoutError
from app.core.request_log import current_request_id

EXTENSION: Final = "services.client_b"


@dataclass(frozen=True)
class Contract:
    """One interaction: the request A sends and the fields A reads back."""

    method: str
    path: str
    status: int
    fields: Mapping[str, type]

    def check(self, status: int, body: Any) -> dict[str, Any]:
        """The body if it honours the contract; ``UpstreamError`` if not."""
        if status != self.status or not isinstance(body, dict):
            raise UpstreamError(f"Service B answered {status}, not {self.status}.")
        for name, kind in self.fields.items():
            if not isinstance(body.get(name), kind):
                raise UpstreamError(
                    f"Service B's answer has no {kind.__name__} {name!r}."
                )
        return body


CONTRACT: Final = Contract(method="GET", path="", status=200, fields={"b": str})


def init_app(app: Quart) -> None:
    """Open B's client while the app serves; tests may swap it (``use_client``)."""

    @app.while_serving
    async def _connected() -> AsyncGenerator[None, None]:
        base_url = app.config["SERVICE_B_URL"] or ""
        async with outgoing.client(
            app.config["SERVICE_B_TIMEOUT"], base_url=base_url
        ) as client:
            app.extensions[EXTENSION] = client
            yield


def use_client(app: Quart, client: httpx.AsyncClient) -> None:
    """Call B through ``client`` (an in-process ASGI transport, in tests)."""
    app.extensions[EXTENSION] = client


def this_server_b() -> str:
    """``/b/`` on the address this request came in on (the server's, not ``Host``)."""
    server = request.scope.get("server")
    if not server or server[1] is None:
        raise UpstreamError(
            "SERVICE_B_URL is not set and this server's address is unknown."
        )
    host, port = server
    host = f"[{host}]" if ":" in host else host  # an IPv6 address
    return f"http://{host}:{port}/b/"


async def call_b() -> dict[str, Any]:
    """Make the contract's request to B and return its checked answer."""
    client: httpx.AsyncClient = current_app.extensions[EXTENSION]
    headers = {"X-Request-ID": current_request_id() or ""}
    url = CONTRACT.path if str(client.base_url) else this_server_b() + CONTRACT.path
    try:
        response = await client.request(CONTRACT.method, url, headers=headers)
    except httpx.TimeoutException:
        raise UpstreamTimeoutError("Service B did not answer in time.") from None
    except httpx.TransportError:
        raise UpstreamError("Service B cannot be reached.") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    return CONTRACT.check(response.status_code, body)
