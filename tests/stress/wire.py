"""Raw HTTP/1.1 on a socket: send any bytes, read back each response as it comes.

An HTTP client library would refuse to send most of the catalogue's requests,
or would repair them; ``Wire`` sends exactly the bytes it is given and parses
what comes back, so a case can see every response on the connection, and
whether and when the server closed it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from dataclasses import dataclass
from typing import Final

READ_SIZE: Final = 65536
NO_BODY: Final = frozenset({204, 304})


class UnparsableError(Exception):
    """The server sent bytes that are not an HTTP/1.1 response."""


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
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            if len(self.buffer) >= 5 and not self.buffer.startswith(b"HTTP/"):
                raise UnparsableError(bytes(self.buffer[:80]))
            if not self.fill(deadline):
                if self.buffer and not self.buffer.startswith(b"HTTP/"):
                    raise UnparsableError(bytes(self.buffer[:80]))
                return None
        head_bytes = bytes(self.buffer[:end])
        del self.buffer[: end + 4]
        status, headers = _parse_head(head_bytes)
        fields = dict(headers)
        if head or status < 200 or status in NO_BODY:
            body = b""
        elif "chunked" in fields.get("transfer-encoding", "").lower():
            body = self._chunked(deadline)
        elif (length := fields.get("content-length")) is not None:
            body = self._exactly(int(length), deadline)
        else:  # delimited by the close
            while self.fill(deadline):
                pass
            body, self.buffer = bytes(self.buffer), bytearray()
        return Response(status, headers, body)

    def _exactly(self, size: int, deadline: float) -> bytes:
        while len(self.buffer) < size:
            if not self.fill(deadline):
                raise UnparsableError(b"closed inside a body")
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def _line(self, deadline: float) -> bytes:
        while (end := self.buffer.find(b"\r\n")) < 0:
            if not self.fill(deadline):
                raise UnparsableError(b"closed inside a chunked body")
        line = bytes(self.buffer[:end])
        del self.buffer[: end + 2]
        return line

    def _chunked(self, deadline: float) -> bytes:
        body = bytearray()
        while size := _hex(self._line(deadline)):
            body += self._exactly(size, deadline)
            self._line(deadline)
        while self._line(deadline):  # trailers, up to the empty line
            pass
        return bytes(body)

    def close(self) -> None:
        """Close the socket (twice is fine)."""
        with contextlib.suppress(OSError):
            self.socket.close()


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
