"""Raw HTTP/1.1 on a socket: send any bytes, read back each response as it comes.

An HTTP client library would refuse to send most of the catalogue's requests,
or would repair them; ``Wire`` sends exactly the bytes it is given and parses
what comes back, so a case can see every response on the connection, and
whether and when the server closed it. The parsing is ``parse_response``, on
a buffer, so that other clients (the trickles' sockets) and tests use it too.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from dataclasses import dataclass
from typing import Final, NoReturn

READ_SIZE: Final = 65536
NO_BODY: Final = frozenset({204, 304})


class UnparsableError(Exception):
    """The server sent bytes that are not an HTTP/1.1 response."""


class IncompleteError(Exception):
    """The bytes so far are the start of a response, not a whole one."""


@dataclass(frozen=True)
class Response:
    """One HTTP/1.1 response: status, headers (names lower-cased) and body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name``, if any."""
        return next((v for k, v in self.headers if k == name.lower()), None)

    def json_problem(self) -> str | None:
        """Why a JSON body is not strict JSON (NaN, bad bytes...); None if it is."""
        if not (self.header("content-type") or "").startswith("application/json"):
            return None
        try:
            json.loads(self.body.decode(), parse_constant=_refuse)
        except (ValueError, UnicodeDecodeError) as error:
            return f"{self.status} with a body that is not JSON ({error})"
        return None


def _refuse(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


class Wire:
    """One client connection that sends raw bytes and reads raw responses."""

    def __init__(self, bind: str, timeout: float = 10.0) -> None:
        host, port = bind.rsplit(":", 1)
        self.socket = socket.create_connection((host, int(port)), timeout=timeout)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()
        self.eof = False

    def send(self, data: bytes) -> bool:
        """Send ``data``; False if the server had already closed or reset."""
        try:
            self.socket.sendall(data)
        except OSError:
            return False
        return True

    def fill(self, deadline: float) -> bool:
        """Read more into the buffer; False at EOF. ``TimeoutError`` at the deadline."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self.socket.settimeout(remaining)
        try:
            data = self.socket.recv(READ_SIZE)
        except ConnectionResetError:
            data = b""
        except OSError as error:  # socket.timeout is a TimeoutError
            if isinstance(error, TimeoutError):
                raise
            data = b""
        if not data:
            self.eof = True
            return False
        self.buffer += data
        return True

    def closes_within(self, seconds: float) -> bool:
        """Whether the server closes (EOF or reset) within ``seconds``; bytes kept."""
        deadline = time.monotonic() + seconds
        try:
            while self.fill(deadline):
                pass
        except TimeoutError:
            return False
        return True

    def response(self, deadline: float, head: bool = False) -> Response | None:
        """The next response; None if the server closed first (leftover bytes kept).

        ``TimeoutError`` if none is complete by ``deadline``; ``UnparsableError`` for
        bytes that are not a response. ``head`` for an answer to HEAD (no body).
        """
        while True:
            try:
                return parse_response(self.buffer, self.eof, head)
            except IncompleteError:
                self.fill(deadline)

    def close(self) -> None:
        """Close the socket (twice is fine)."""
        with contextlib.suppress(OSError):
            self.socket.close()


def parse_response(buffer: bytearray, eof: bool, head: bool = False) -> Response | None:
    """Take the first response off ``buffer``; None if the server closed before one.

    ``eof`` says the server has closed, so no more bytes will come: a body
    delimited by the close ends there. ``IncompleteError`` when more bytes are
    needed; ``UnparsableError`` for bytes that are not a response, or a close
    inside a body. The bytes of a response leave ``buffer`` only once it is whole.
    """
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if not buffer.startswith(b"HTTP/") and (len(buffer) >= 5 or (eof and buffer)):
            raise UnparsableError(bytes(buffer[:80]))
        if eof:
            return None
        raise IncompleteError
    status, headers = _parse_head(bytes(buffer[:end]))
    start = end + 4
    fields = dict(headers)
    if head or status < 200 or status in NO_BODY:
        stop, body = start, b""
    elif "chunked" in fields.get("transfer-encoding", "").lower():
        stop, body = _chunked(buffer, start, eof)
    elif (length := fields.get("content-length")) is not None:
        if not length.isdigit():
            raise UnparsableError(b"Content-Length: " + length.encode()[:60])
        stop = start + int(length)
        if len(buffer) < stop:
            _more(eof, b"closed inside a body")
        body = bytes(buffer[start:stop])
    elif eof:
        stop, body = len(buffer), bytes(buffer[start:])
    else:  # delimited by the close, which has not come yet
        raise IncompleteError
    del buffer[:stop]
    return Response(status, headers, body)


def _more(eof: bool, what: bytes) -> NoReturn:
    """More bytes are needed: wait for them, or, after the close, give up."""
    if eof:
        raise UnparsableError(what)
    raise IncompleteError


def _line(buffer: bytearray, start: int, eof: bool) -> tuple[bytes, int]:
    """The line at ``start``, without its CRLF, and where the next one starts."""
    if (end := buffer.find(b"\r\n", start)) < 0:
        _more(eof, b"closed inside a chunked body")
    return bytes(buffer[start:end]), end + 2


def _chunked(buffer: bytearray, start: int, eof: bool) -> tuple[int, bytes]:
    """A chunked body at ``start``: where it ends (trailers too), and its bytes."""
    body = bytearray()
    line, start = _line(buffer, start, eof)
    while size := _hex(line):
        if len(buffer) < start + size:
            _more(eof, b"closed inside a chunked body")
        body += buffer[start : start + size]
        _, start = _line(buffer, start + size, eof)
        line, start = _line(buffer, start, eof)
    while True:  # trailers, up to the empty line
        line, start = _line(buffer, start, eof)
        if not line:
            return start, bytes(body)


def _hex(line: bytes) -> int:
    try:
        return int(line.split(b";")[0], 16)
    except ValueError:
        raise UnparsableError(line[:80]) from None


def _parse_head(raw: bytes) -> tuple[int, tuple[tuple[str, str], ...]]:
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise UnparsableError(raw[:80])
    headers = tuple(
        (name.strip().lower(), value.strip())
        for name, _, value in (line.partition(":") for line in lines[1:])
    )
    return int(parts[1]), headers


def request(
    method: str,
    target: str | bytes,
    host: bytes,
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes | None = None,
) -> bytes:
    """A well-formed request, with ``Content-Length`` when there is a body."""
    lines = [method.encode() + b" " + _bytes(target) + b" HTTP/1.1", b"Host: " + host]
    lines += [f"{name}: {value}".encode() for name, value in headers]
    if body is not None:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")


def _bytes(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode()
