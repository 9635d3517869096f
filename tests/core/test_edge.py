"""The HTTP edge: trusted hosts, refusals at shutdown, smuggling, security headers."""

from __future__ import annotations

from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as _Client

from app.core.shutdown import stopping
from tests.support.live import Server

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


@pytest.mark.parametrize("path", ["/probe/hello", "/nowhere", "/probe/boom"])
async def test_every_answer_carries_the_security_headers(
    client: _Client, path: str
) -> None:
    response = await client.get(path)
    for name, value in HEADERS.items():
        assert response.headers[name] == value


@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "x"])
async def test_an_untrusted_host_is_a_400(client: _Client, host: str) -> None:
    response = await client.get("/probe/hello", headers={"Host": host})
    assert response.status_code == 400
    body = await response.get_json()
    assert body["message"] == "The Host header names no host served here."
    assert body["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize("host", ["localhost", "localhost:5000", "127.0.0.1:8080"])
async def test_the_trusted_hosts_are_served(client: _Client, host: str) -> None:
    response = await client.get("/probe/hello", headers={"Host": host})
    assert response.status_code == 200


class TestHosts:
    @pytest.fixture
    def config(self) -> dict[str, Any]:
        return {"TESTING": True, "TRUSTED_HOSTS": [".example.org"]}

    async def test_a_domain_takes_its_subdomains(self, client: _Client) -> None:
        served = await client.get("/probe/hello", headers={"Host": "api.example.org"})
        refused = await client.get("/probe/hello", headers={"Host": "localhost"})
        assert (served.status_code, refused.status_code) == (200, 400)


class TestAnyHost:
    @pytest.fixture
    def config(self) -> dict[str, Any]:
        return {"TESTING": True, "TRUSTED_HOSTS": ["*"]}

    async def test_star_trusts_any_host(self, client: _Client) -> None:
        response = await client.get("/probe/hello", headers={"Host": "any.example"})
        assert response.status_code == 200


async def test_once_stopping_new_requests_are_refused_unrun(
    app: Quart, client: _Client
) -> None:
    stopping(app).set()  # what SIGTERM does
    response = await client.post("/probe/writes")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.headers["Connection"] == "close"
    assert (await response.get_json())[
        "message"
    ] == "The server is shutting down; retry."
    stopping(app).clear()
    written = await client.post("/probe/writes")
    assert (await written.get_json()) == {"rows": 1}  # the refused one never ran


def test_content_length_with_transfer_encoding_is_refused_and_closed(
    probe_server: Server,
) -> None:
    # A smuggled second request rides behind the first; it must never run.
    answer = probe_server.raw(
        b"POST /probe/writes HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        b"POST /probe/writes HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"connection: close" in answer.lower()
    assert answer.count(b"HTTP/1.1") == 1  # closed: the second was not read


def test_the_server_does_not_name_itself(probe_server: Server) -> None:
    answer = probe_server.raw(
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    assert b"\r\nserver:" not in answer.lower()


@pytest.mark.parametrize(
    "target", [b"healthz", b"http://evil.example/healthz", b"*", b"%2Fhealthz"]
)
def test_a_target_that_is_not_a_path_is_a_400(
    probe_server: Server, target: bytes
) -> None:
    answer = probe_server.raw(
        b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b'"code":400' in answer


def test_options_star_asks_about_the_server(probe_server: Server) -> None:
    answer = probe_server.raw(
        b"OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    assert not answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert int(answer.split(b" ", 2)[1]) < 500, answer[:200]
