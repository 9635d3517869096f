"""The core under a real Hypercorn process started with the shipped hypercorn.toml.

The probe app (``tests.support.probe``) is served, so no feature is needed.
"""

from __future__ import annotations

import re
import signal
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.live import LOWEST_PORT, Server, first_ephemeral_port
from tests.support.probe import PROBE_APP

StartServer = Callable[..., Server]


def test_head_has_headers_but_no_body(probe_server: Server) -> None:
    response = httpx.head(f"{probe_server.url}/probe/hello")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b""


def test_access_line_reaches_stdout(probe_server: Server) -> None:
    httpx.get(
        f"{probe_server.url}/healthz?secret=x", headers={"X-Request-ID": "live-line-1"}
    )
    line = probe_server.wait_for(
        r"app\.access: GET /healthz 200 \S+ms live-line-1"
    ).string
    assert "secret" not in line
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO app\.access: ", line)


@pytest.mark.parametrize(
    "request_head",
    [
        # A non-ASCII token: werkzeug's own parser raises ValueError (a 500) here.
        b"GET /probe/user HTTP/1.1\r\nHost: localhost\r\n"
        b"Authorization: Basic \xc3\xa9\r\n",
        b"GET /probe/user HTTP/1.1\r\nHost: localhost\r\n"
        b"Authorization: Basic \xff\xfe\r\n",
        b"GET /probe/user HTTP/1.1\r\nHost: localhost\r\nAuthorization: \xff\r\n",
        b"GET /probe/%FF%FE HTTP/1.1\r\nHost: localhost\r\n",
        b"GET /probe/hello HTTP/1.1\r\nHost: localhost\r\nAccept: \xff/\xfe\r\n",
        b"GET /probe/hello HTTP/1.1\r\nHost: localhost\r\n"
        b"X-Request-ID: \xc3\xa9\xc3\xa9\r\n",
    ],
)
def test_raw_bad_input_is_a_json_4xx_or_a_200(
    probe_server: Server, request_head: bytes
) -> None:
    answer = probe_server.raw(request_head + b"Connection: close\r\n\r\n")
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


def test_chunked_body_over_the_limit_is_refused_before_it_ends(
    probe_server: Server,
) -> None:
    address = urlsplit(probe_server.url)
    chunk = b"x" * 65536
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        sock.sendall(
            b"POST /probe/echo HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        # 17 chunks of 64 KiB: just over 1 MiB, and never the final zero-size chunk.
        for _ in range(17):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        # This would time out if the server waited for the end.
        answer = _read_response(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"code":413' in answer


def test_content_length_over_the_limit_is_refused_at_once(
    probe_server: Server,
) -> None:
    answer = probe_server.raw(
        b"POST /probe/echo HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/json\r\nContent-Length: 5000000\r\n"
        b"Connection: close\r\n\r\n{",
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_sigterm_stops_it_cleanly(start_server: StartServer) -> None:
    live = start_server(target=PROBE_APP).start()
    assert httpx.get(f"{live.url}/healthz").status_code == 200
    assert live.stop(signal.SIGTERM) == 0


def test_production_with_development_secrets_refuses_to_start(
    start_server: StartServer,
) -> None:
    live = start_server({"APP_ENV": "production"})
    assert live.process.wait(30) != 0
    live.wait_for(r"BASIC_AUTH_USERS still has its development default")


def test_a_body_that_stops_arriving_is_a_408(start_server: StartServer) -> None:
    live = start_server({"APP_BODY_TIMEOUT": "1"}, target=PROBE_APP).start()
    address = urlsplit(live.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(
            b"POST /probe/echo HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: 10\r\n\r\n{"
        )
        answer = _read_response(sock)  # the server gives up after BODY_TIMEOUT
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b'"code":408' in answer


def test_an_oversized_http2_frame_is_refused_on_its_header(
    probe_server: Server,
) -> None:
    # HTTP/2 with prior knowledge, then a frame header that announces a body
    # of 16 MiB (the server allows 16 KiB) and sends none of it.
    address = urlsplit(probe_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\xff" * 9)
        received = b""
        while chunk := sock.recv(65536):  # times out if the server waits for the body
            received += chunk
    frames = _h2_frames(received)
    assert (7, 6) in [(kind, int.from_bytes(body[4:8], "big")) for kind, body in frames]


def _h2_frames(data: bytes) -> list[tuple[int, bytes]]:
    """(type, payload) of each HTTP/2 frame in ``data``; GOAWAY is type 7."""
    frames = []
    while len(data) >= 9:
        length, kind = int.from_bytes(data[:3], "big"), data[3]
        frames.append((kind, data[9 : 9 + length]))
        data = data[9 + length :]
    return frames


def test_a_worker_answers_in_flight_work_with_connection_close_once_stopping(
    start_server: StartServer,
) -> None:
    # workers = 1 is Hypercorn's multiprocess mode: SIGTERM reaches the parent
    # only, and the worker learns of it from the event the parent sets.
    live = start_server(target=PROBE_APP, workers=1).start()
    address = (urlsplit(live.url).hostname, urlsplit(live.url).port)
    with (
        socket.create_connection(address, timeout=10) as busy,
        socket.create_connection(address, timeout=10) as idle,
    ):
        busy.sendall(
            b"POST /probe/drain HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Length: 10\r\n\r\n12345"
        )
        idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert _read_response(idle).startswith(b"HTTP/1.1 200")
        live.process.send_signal(signal.SIGTERM)
        # The worker has begun to stop once it closes its idle connection.
        assert idle.recv(65536) == b""
        busy.sendall(b"67890")
        answer = _read_response(busy)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b"connection: close" in answer.lower()
    assert b'"bytes":10' in answer


def test_test_servers_listen_below_the_ephemeral_ports(server: Server) -> None:
    """Outgoing connections take no test server's port between its check and bind."""
    port = int(server.bind.rsplit(":", 1)[1])
    assert LOWEST_PORT <= port < first_ephemeral_port()
