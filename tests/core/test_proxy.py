"""Behind a proxy: X-Forwarded-* believed from trusted hops only; the prefix; HSTS.

Through the probe's ``/probe/where`` (the URLs the app builds, the client it
sees) and ``/probe/folder`` (werkzeug's redirect to the trailing slash).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from quart.typing import TestClientProtocol as _Client

from tests.support.live import Server
from tests.support.probe import PROBE_APP

BEHIND = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "api.example.org",
    "X-Forwarded-Prefix": "/orders",
}


class TestNoProxy:
    async def test_forwarded_headers_are_ignored(self, client: _Client) -> None:
        answer = await client.get("/probe/where", headers=BEHIND)
        assert await answer.get_json() == {
            "url": "http://localhost/probe/where",
            "path": "/probe/where",
            "client": "<local>",
        }
        assert "Strict-Transport-Security" not in answer.headers


class TestOneProxy:
    @pytest.fixture
    def config(self) -> dict[str, Any]:
        return {
            "TESTING": True,
            "PROXY_TRUSTED_HOPS": 1,
            "TRUSTED_HOSTS": ["api.example.org"],
        }

    async def test_the_proxy_names_client_scheme_host_and_prefix(
        self, client: _Client
    ) -> None:
        answer = await client.get("/probe/where", headers=BEHIND)
        assert await answer.get_json() == {
            "url": "https://api.example.org/orders/probe/where",
            "path": "/orders/probe/where",
            "client": "203.0.113.7",
        }
        redirect = await client.get("/probe/folder", headers=BEHIND)
        assert redirect.status_code == 308
        assert redirect.headers["Location"].endswith("/orders/probe/folder/")

    async def test_only_the_last_hop_is_believed(self, client: _Client) -> None:
        forged = {
            "X-Forwarded-For": "10.0.0.1, 203.0.113.7",
            "X-Forwarded-Host": "api.example.org",
            "X-Forwarded-Prefix": "/evil, /orders",
        }
        answer = await client.get("/probe/where", headers=forged)
        body = await answer.get_json()
        assert (body["client"], body["path"]) == ("203.0.113.7", "/orders/probe/where")

    @pytest.mark.parametrize(
        "prefix", ["orders", "/a/../b", "//evil.example", "/a?b", "/a b", "/a/./b"]
    )
    async def test_a_prefix_that_is_not_a_plain_path_is_ignored(
        self, client: _Client, prefix: str
    ) -> None:
        headers = {"X-Forwarded-Host": "api.example.org", "X-Forwarded-Prefix": prefix}
        answer = await client.get("/probe/where", headers=headers)
        assert (await answer.get_json())["path"] == "/probe/where"

    async def test_no_hsts_unless_configured(self, client: _Client) -> None:
        answer = await client.get("/probe/hello", headers=BEHIND)
        assert "Strict-Transport-Security" not in answer.headers


class TestHsts:
    @pytest.fixture
    def config(self) -> dict[str, Any]:
        return {
            "TESTING": True,
            "PROXY_TRUSTED_HOPS": 1,
            "TRUSTED_HOSTS": ["*"],
            "HSTS_MAX_AGE": 31536000,
            "HSTS_INCLUDE_SUBDOMAINS": True,
        }

    @pytest.mark.parametrize("path", ["/probe/hello", "/nowhere", "/probe/boom"])
    async def test_https_answers_carry_it(self, client: _Client, path: str) -> None:
        answer = await client.get(path, headers=BEHIND)
        assert (
            answer.headers["Strict-Transport-Security"]
            == "max-age=31536000; includeSubDomains"
        )

    async def test_the_edge_refusals_carry_it(self, client: _Client) -> None:
        smuggled = {**BEHIND, "Content-Length": "0", "Transfer-Encoding": "chunked"}
        answer = await client.post("/probe/echo", headers=smuggled)
        assert answer.status_code == 400
        assert "Strict-Transport-Security" in answer.headers

    async def test_plain_http_answers_do_not(self, client: _Client) -> None:
        answer = await client.get("/probe/hello")
        assert "Strict-Transport-Security" not in answer.headers


def test_a_real_server_under_a_prefix(start_server: Callable[..., Server]) -> None:
    server = start_server({"APP_PROXY_TRUSTED_HOPS": "1"}, target=PROBE_APP).start()
    answer = httpx.get(
        f"{server.url}/probe/folder", headers={"X-Forwarded-Prefix": "/orders/"}
    )
    assert answer.status_code == 308
    assert answer.headers["Location"] == f"http://{server.bind}/orders/probe/folder/"
