"""The tour over a real Hypercorn process started with the shipped hypercorn.toml."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.live import Server


def test_the_tour_over_the_network(server: Server) -> None:
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/api").json() == {"Hello": "World!"}
        assert http.get("/api/person/1").json() == {"Hello": "Alice"}
        assert http.get("/api/secret", auth=("alice", "password")).json() == {
            "Hello": "alice"
        }
        assert http.get("/api/yaml").text == "- Hello\n- YAML\n- World!\n"
        assert (
            http.get("/api", headers={"Accept": "text/yaml"}).text == "Hello: World!\n"
        )
        assert http.get("/api/ip").json() == {"ip": "127.0.0.1"}
        assert http.get("/api/stream").text.count("\n") == 10


@pytest.mark.parametrize(
    "request_head",
    [
        # A non-ASCII token: werkzeug's own parser raises ValueError (a 500) here.
        b"GET /api/secret HTTP/1.1\r\nHost: localhost\r\n"
        b"Authorization: Basic \xc3\xa9\r\n",
        b"GET /api/whoami HTTP/1.1\r\nHost: localhost\r\nAuthorization: \xff\r\n",
        b"GET /person/%FF%FE HTTP/1.1\r\nHost: localhost\r\n",
        b"GET /api/person/%00 HTTP/1.1\r\nHost: localhost\r\n",
        b"GET /uuid/%C0%AF HTTP/1.1\r\nHost: localhost\r\n",
        b"GET /api/url-for?name=%FF HTTP/1.1\r\nHost: localhost\r\n",
    ],
)
def test_raw_bad_input_is_a_json_4xx_or_a_200(
    server: Server, request_head: bytes
) -> None:
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), 5) as sock:
        sock.sendall(request_head + b"Connection: close\r\n\r\n")
        answer = b"".join(iter(lambda: sock.recv(65536), b""))
    status = int(answer.split(b" ", 2)[1])
    assert status < 500, answer
    assert b"content-type: application/json" in answer.lower(), answer
