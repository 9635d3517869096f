"""/api/ip: the client address, and X-Forwarded-For only behind trusted proxies."""

from __future__ import annotations

from typing import Any

import pytest
from quart.typing import TestClientProtocol as _Client

CLIENT = {"client": ("198.51.100.7", 40000)}


async def test_ip_is_the_peer_address(client: _Client) -> None:
    response = await client.get("/api/ip", scope_base=CLIENT)
    assert await response.get_json() == {"ip": "198.51.100.7"}


@pytest.mark.parametrize(
    "headers", [{"X-Forwarded-For": "203.0.113.9"}, {"Remote-Addr": "203.0.113.9"}]
)
async def test_spoofing_headers_are_ignored_by_default(
    client: _Client, headers: dict[str, str]
) -> None:
    response = await client.get("/api/ip", headers=headers, scope_base=CLIENT)
    assert await response.get_json() == {"ip": "198.51.100.7"}


class TestBehindOneProxy:
    @pytest.fixture
    def config(self) -> dict[str, Any]:
        return {"TESTING": True, "PROXY_TRUSTED_HOPS": 1}

    @pytest.mark.parametrize(
        ("forwarded_for", "ip"),
        [
            ("203.0.113.9", "203.0.113.9"),
            # The client may send its own header; only the proxy's last hop counts.
            ("6.6.6.6, 203.0.113.9", "203.0.113.9"),
        ],
    )
    async def test_trusted_hop_is_used(
        self, client: _Client, forwarded_for: str, ip: str
    ) -> None:
        response = await client.get(
            "/api/ip", headers={"X-Forwarded-For": forwarded_for}, scope_base=CLIENT
        )
        assert await response.get_json() == {"ip": ip}

    async def test_without_the_header_the_peer_is_used(self, client: _Client) -> None:
        response = await client.get("/api/ip", scope_base=CLIENT)
        assert await response.get_json() == {"ip": "198.51.100.7"}
