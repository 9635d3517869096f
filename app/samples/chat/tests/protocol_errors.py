"""WebSocket protocol errors on ``/ws/echo``: each must end in a close frame.

RFC 6455 §7.1.7 and §7.4.1: a client that breaks the protocol gets a close
frame with 1002 (protocol error), or 1007 for text that is not UTF-8, then
the TCP close; a bare TCP close tells the client nothing. A message over
``WS_MAX_MESSAGE_SIZE`` gets 1009. Bad handshakes get an HTTP 4xx.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Final

from tests.bench.parts import table, verdict
from tests.stress.frames import (
    BINARY,
    CLOSE,
    CONTINUATION,
    PING,
    TEXT,
    close_payload,
    connect,
    ending,
    frame,
)
from tests.stress.parts import Stress
from tests.stress.servers import host, serve
from tests.stress.wire import Wire, request

# (name, the frames sent after the handshake, the close codes expected)
CASES: Final[tuple[tuple[str, bytes, frozenset[int]], ...]] = (
    ("invalid UTF-8 in a text frame", frame(TEXT, b"\xff\xfe\xfd"), frozenset({1007})),
    (
        "invalid UTF-8 across two fragments",
        frame(TEXT, b"ok \xe2\x82", fin=False) + frame(CONTINUATION, b"\x28"),
        frozenset({1007}),
    ),
    ("an unmasked frame", frame(TEXT, b"hello", masked=False), frozenset({1002})),
    ("RSV1 set, no extension agreed", frame(TEXT, b"hello", rsv=4), frozenset({1002})),
    ("RSV2 and RSV3 set", frame(TEXT, b"hello", rsv=3), frozenset({1002})),
    ("reserved opcode 0x3", frame(0x3, b"hello"), frozenset({1002})),
    ("a ping of 126 bytes", frame(PING, b"p" * 126), frozenset({1002})),
    ("a fragmented ping", frame(PING, b"p", fin=False), frozenset({1002})),
    ("a continuation with no message", frame(CONTINUATION, b"x"), frozenset({1002})),
    (
        "a new message inside an unfinished one",
        frame(TEXT, b"a", fin=False) + frame(TEXT, b"b"),
        frozenset({1002}),
    ),
    ("a close with code 999", frame(CLOSE, close_payload(999)), frozenset({1002})),
    ("a close with a 1-byte payload", frame(CLOSE, b"\x03"), frozenset({1002})),
    (
        "a close whose reason is not UTF-8",
        frame(CLOSE, close_payload(1000, b"\xff")),
        frozenset({1002, 1007}),
    ),
    ("a 1 MiB binary message", frame(BINARY, b"b" * 2**20), frozenset({1009})),
)

# (name, the handshake's extra or replaced headers)
HANDSHAKES: Final = (
    ("handshake with Sec-WebSocket-Version 8", (("Sec-WebSocket-Version", "8"),)),
    ("handshake with no Sec-WebSocket-Key", ()),
)


def protocol_errors(
    stress: Stress,
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Each case on a fresh connection to a server of its own."""
    rows = [("case", "expected", "observed", "")]
    failed = []
    with serve(stress.folder / "ws-protocol.log") as running:
        bind, name_of_host = running.server.bind, host(running)
        for name, sent, codes in CASES:
            wire, answer = connect(bind, "/ws/echo", name_of_host)
            with contextlib.closing(wire):
                if answer is None or answer.status != 101:
                    observed, good = f"handshake answered {answer}", False
                else:
                    wire.send(sent)
                    result = ending(wire, 5)
                    observed, good = str(result), result.code in codes
            expected = "close frame " + " or ".join(map(str, sorted(codes)))
            rows.append((name, expected, observed, "ok" if good else "FAIL"))
            failed += [] if good else [name]
        for name, headers in HANDSHAKES:
            status = _handshake(bind, name_of_host, headers)
            good = status is not None and 400 <= status < 500
            rows.append(
                (name, "HTTP 4xx", f"{status or 'no answer'}", "ok" if good else "FAIL")
            )
            failed += [] if good else [name]
        running.check_alive()
    lines = [
        "protocol errors on /ws/echo, each on a fresh socket:",
        *table(rows, left=3),
    ]
    found = {"protocol": {"cases": len(rows) - 1, "failed": failed}}
    passed = {"websockets: protocol errors closed with their code": verdict(not failed)}
    return found, passed, lines


def _handshake(
    bind: str, name_of_host: bytes, headers: tuple[tuple[str, str], ...]
) -> int | None:
    fields = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Version": "13",
    }
    fields.update(headers)
    if headers:
        fields["Sec-WebSocket-Key"] = "dGhlIHNhbXBsZSBub25jZQ=="
    wire = Wire(bind)
    try:
        wire.send(request("GET", "/ws/echo", name_of_host, tuple(fields.items())))
        answer = wire.response(time.monotonic() + 10, head=True)
    except (TimeoutError, OSError):
        return None
    finally:
        wire.close()
    return None if answer is None else answer.status
