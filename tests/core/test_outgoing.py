"""Outgoing HTTP clients: the service's User-Agent, no redirects, one TLS context."""

from __future__ import annotations

from app.core import outgoing
from app.core.service import service
from tests.support.live import Server


async def test_a_client_names_the_service(probe_server: Server) -> None:
    async with outgoing.client(5.0) as client:
        response = await client.get(f"{probe_server.url}/probe/headers")
    this = service()
    assert response.json()["user-agent"] == f"{this.name}/{this.version}"


async def test_redirects_are_not_followed(probe_server: Server) -> None:
    async with outgoing.client(5.0) as client:
        response = await client.get(f"{probe_server.url}/probe/folder")
    assert response.status_code == 308  # a caller decides whether to follow it
    assert response.headers["Location"].endswith("/probe/folder/")
    assert not response.history


def test_the_tls_context_is_made_once() -> None:
    assert outgoing.tls_context() is outgoing.tls_context()
