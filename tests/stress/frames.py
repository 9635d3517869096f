"""Raw WebSocket frames on a ``Wire``: any frame a client can send, as bytes.

A WebSocket library will not send an unmasked frame, a reserved bit or a
message that never ends; these helpers do, and read back what the server
answers: frames, and above all how the socket ended, with a close frame
(RFC 6455 §5.5.1) or with a bare TCP close.
"""

from __future__ import annotations

import base64
import os
import struct
import time
from dataclasses import dataclass
from typing import Final

from tests.stress.wire import Response, Wire, request

CONTINUATION: Final = 0x0
TEXT: Final = 0x1
BINARY: Final = 0x2
CLOSE: Final = 0x8
PING: Final = 0x9
PONG: Final = 0xA


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    masked: bool = True,
) -> bytes:
    """One frame as a client sends it (masked, unless told not to)."""
    first = (0x80 if fin else 0) | (rsv & 0x7) << 4 | opcode & 0xF
    mask_bit = 0x80 if masked else 0
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", first, mask_bit | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", first, mask_bit | 126, size)
    else:
        head = struct.pack("!BBQ", first, mask_bit | 127, size)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + _xor(payload, key)


def _xor(payload: bytes, key: bytes) -> bytes:
    # One big-integer XOR: fast enough for megabytes, unlike a loop per byte.
    if not payload:
        return b""
    size = len(payload)
    repeated = (key * (size // 4 + 1))[:size]
    mixed = int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")
    return mixed.to_bytes(size, "big")


def close_payload(code: int, reason: bytes = b"") -> bytes:
    """The payload of a close frame."""
    return struct.pack("!H", code) + reason


def upgrade(path: str, host: bytes, headers: tuple[tuple[str, str], ...] = ()) -> bytes:
    """The opening handshake's request."""
    key = base64.b64encode(os.urandom(16)).decode()
    fields = (
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
        *headers,
    )
    return request("GET", path, host, fields)


def connect(
    bind: str, path: str, host: bytes, headers: tuple[tuple[str, str], ...] = ()
) -> tuple[Wire, Response | None]:
    """A raw connection with the handshake sent and its answer read (101 or not)."""
    wire = Wire(bind)
    wire.send(upgrade(path, host, headers))
    return wire, wire.response(time.monotonic() + 30, head=True)


@dataclass(frozen=True)
class Frame:
    """A frame from the server."""

    fin: bool
    opcode: int
    payload: bytes


def read_frame(wire: Wire, deadline: float) -> Frame | None:
    """The next frame; None when the server closed the TCP connection first."""
    if not _have(wire, 2, deadline):
        return None
    first, second = wire.buffer[0], wire.buffer[1]
    size, offset = second & 0x7F, 2
    if size == 126:
        if not _have(wire, 4, deadline):
            return None
        size, offset = struct.unpack("!H", wire.buffer[2:4])[0], 4
    elif size == 127:
        if not _have(wire, 10, deadline):
            return None
        size, offset = struct.unpack("!Q", wire.buffer[2:10])[0], 10
    if second & 0x80:  # a server must not mask; read it all the same
        offset += 4
    if not _have(wire, offset + size, deadline):
        return None
    payload = bytes(wire.buffer[offset : offset + size])
    del wire.buffer[: offset + size]
    return Frame(bool(first & 0x80), first & 0xF, payload)


def _have(wire: Wire, size: int, deadline: float) -> bool:
    while len(wire.buffer) < size:
        if not wire.fill(deadline):
            return False
    return True


@dataclass(frozen=True)
class Ending:
    """How a socket ended: a close frame's code and reason, or none."""

    code: int | None  # None: no close frame
    reason: str
    closed: bool  # False: still open when the wait ended
    seconds: float

    def __str__(self) -> str:
        if self.code is not None:
            return f"close frame {self.code} {self.reason!r} after {self.seconds:.1f} s"
        if self.closed:
            return f"TCP close without a close frame after {self.seconds:.1f} s"
        return f"still open after {self.seconds:.1f} s"


def ending(wire: Wire, seconds: float, started: float | None = None) -> Ending:
    """Read until the server closes (answering pings); how it closed, and when.

    ``started`` (``time.monotonic()``) is when the wait began, for the time
    reported; by default, now.
    """
    begun = time.monotonic() if started is None else started
    deadline = time.monotonic() + seconds
    while True:
        try:
            received = read_frame(wire, deadline)
        except TimeoutError:
            return Ending(None, "", False, time.monotonic() - begun)
        if received is None:
            return Ending(None, "", True, time.monotonic() - begun)
        if received.opcode == PING:
            wire.send(frame(PONG, received.payload))
        elif received.opcode == CLOSE:
            elapsed = time.monotonic() - begun
            payload = received.payload
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            wire.send(frame(CLOSE, payload[:2]))  # the client's half of the close
            reason = payload[2:].decode(errors="replace")
            return Ending(code, reason, True, elapsed)
