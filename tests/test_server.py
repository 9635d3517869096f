"""The kit under a real Hypercorn process started with the shipped hypercorn.toml."""

from __future__ import annotations

import re
import signal
import socket
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import httpx
import pytest

from tests.live import Server

StartServer = Callable[[Mapping[str, str] | None], Server]


def test_samples_over_the_network(server: Server) -> None:
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


def test_head_has_headers_but_no_body(server: Server) -> None:
    response = httpx.head(f"{server.url}/api")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b""


def test_access_line_reaches_stdout(server: Server) -> None:
    httpx.get(f"{server.url}/teams/1?secret=x", headers={"X-Request-ID": "live-line-1"})
    line = server.wait_for(r"app\.access: GET /teams/1 200 \S+ms live-line-1").string
    assert "secret" not in line
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO app\.access: ", line)


def _raw(server: Server, request: bytes, timeout: float = 5) -> bytes:
    """Send raw bytes; return everything the server answers until it closes."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "request_head",
    [
        # A non-ASCII token: werkzeug's own parser raises ValueError (a 500) here.
        b"GET /api/secret HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \xc3\xa9\r\n",
        b"GET /api/secret HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \xff\xfe\r\n",
        b"GET /api/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: \xff\r\n",
        b"GET /person/%FF%FE HTTP/1.1\r\nHost: x\r\n",
        b"GET /api/person/%00 HTTP/1.1\r\nHost: x\r\n",
        b"GET /uuid/%C0%AF HTTP/1.1\r\nHost: x\r\n",
        b"GET /api HTTP/1.1\r\nHost: x\r\nAccept: \xff/\xfe\r\n",
        b"GET /api HTTP/1.1\r\nHost: x\r\nX-Request-ID: \xc3\xa9\xc3\xa9\r\n",
        b"GET /api/url-for?name=%FF HTTP/1.1\r\nHost: x\r\n",
    ],
)
def test_raw_bad_input_is_a_json_4xx_or_a_200(
    server: Server, request_head: bytes
) -> None:
    answer = _raw(server, request_head + b"Connection: close\r\n\r\n")
    status = int(answer.split(b" ", 2)[1])
    assert status < 500, answer
    assert b"content-type: application/json" in answer.lower(), answer


def _read_response(sock: socket.socket) -> bytes:
    """Read one response with a Content-Length, without waiting for the close."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head.lower()).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def test_chunked_body_over_the_limit_is_refused_before_it_ends(server: Server) -> None:
    address = urlsplit(server.url)
    chunk = b"x" * 65536
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        sock.sendall(
            b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        # 17 chunks of 64 KiB: just over 1 MiB, and never the final zero-size chunk.
        for _ in range(17):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        answer = _read_response(sock)  # would time out if the server waited for the end
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"code":413' in answer


def test_content_length_over_the_limit_is_refused_at_once(server: Server) -> None:
    answer = _raw(
        server,
        b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 5000000\r\nConnection: close\r\n\r\n{",
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_sigterm_stops_it_cleanly(start_server: StartServer) -> None:
    live = start_server(None).start()
    assert httpx.get(f"{live.url}/healthz").status_code == 200
    assert live.stop(signal.SIGTERM) == 0


@pytest.mark.parametrize("setting", ["SECRET_KEY", "BASIC_AUTH_USERS"])
def test_production_with_development_defaults_refuses_to_start(
    start_server: StartServer, setting: str
) -> None:
    env = {
        "APP_ENV": "production",
        "APP_SECRET_KEY": "a-production-secret-of-some-length",
        "APP_BASIC_AUTH_USERS": '{"ops": "scrypt:32768:8:1$salt$0123abcd"}',
        "APP_WEBHOOK_SECRET": "whsec_cHJvZHVjdGlvbi13ZWJob29rLXNlY3JldA==",
    }
    del env[f"APP_{setting}"]
    live = start_server(env)
    assert live.process.wait(30) != 0
    live.wait_for(rf"ConfigError: {setting} still has its development default")


def test_a_body_that_stops_arriving_is_a_408(start_server: StartServer) -> None:
    live = start_server({"APP_BODY_TIMEOUT": "1"}).start()
    address = urlsplit(live.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10\r\n\r\n{"
        )
        answer = _read_response(sock)  # the server gives up after BODY_TIMEOUT
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b'"code":408' in answer
