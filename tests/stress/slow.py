"""The catalogue's cases in time: slow clients, many connections, keep-alive reuse.

``MAIN`` runs on the catalogue's server, with the shipped settings: the
keep-alive race (a request sent just as the clients' keep-alive expiry ends
must be answered, so the server's idle timeout must outlast the clients'),
a reader that stops reading, and a thousand idle connections.

``TRICKLES`` run on a second server whose bounds are scaled down to
``BOUND_S`` (Hypercorn's ``keep_alive_timeout``, which also bounds a request's
head, and the app's ``BODY_TIMEOUT``), to check in seconds what the shipped
settings promise in minutes: a client that trickles its request in, byte by
byte, or stops half-way, is cut once that bound has passed, whatever
it keeps sending: its connection is closed, after a 4xx or no answer at all.
The first answer on each connection is parsed and judged, so a 200 or a 5xx
fails the case.
"""

from __future__ import annotations

import contextlib
import select
import socket
import time
from functools import partial
from typing import Final

import httpx

from tests.stress.cases import FOUR, Case, Expect, Observed, exchange
from tests.stress.wire import IncompleteError, UnparsableError, Wire, parse_response

BOUND_S: Final = 2  # keep_alive_timeout and BODY_TIMEOUT of the trickle server
SLACK_S: Final = 3.0
DRIP_S: Final = 0.5  # a byte this often: far more often than any read timeout
TRICKLERS: Final = 50  # connections per trickle case
FLOOD: Final = 1000  # idle connections held open
PIPELINED: Final = 200
# httpx's default: how long it reuses an idle connection.
CLIENT_EXPIRY_S: Final = httpx.Limits().keepalive_expiry or 5.0


def keepalive_race(bind: str, host: bytes, bound_s: float) -> Observed:
    """A request, then another on the same connection 10-20 ms after httpx's expiry."""
    request = b"GET /healthz HTTP/1.1\r\nHost: " + host + b"\r\n\r\n"
    wire = Wire(bind)
    seen = Observed()
    try:
        wire.send(request)
        if first := wire.response(time.monotonic() + bound_s):
            seen.responses.append(first)
        time.sleep(CLIENT_EXPIRY_S + 0.015)
        wire.send(request)
        second = wire.response(time.monotonic() + bound_s)
    except (TimeoutError, OSError):
        second = None
    finally:
        wire.close()
    if second is None:
        seen.closed = True
        seen.note = (
            f"the second request, {CLIENT_EXPIRY_S + 0.015:.3f} s after the first "
            "answer, got no answer: the server had closed the connection"
        )
    else:
        seen.responses.append(second)
    return seen


def slow_reader(bind: str, host: bytes, bound_s: float) -> Observed:
    """``PIPELINED`` requests for ``/openapi.json``, read only after ``bound_s``."""
    wire = Wire(bind)
    seen = Observed()
    try:
        request = b"GET /openapi.json HTTP/1.1\r\nHost: " + host + b"\r\n\r\n"
        wire.send(request * PIPELINED)
        time.sleep(bound_s)
        deadline = time.monotonic() + 30
        while len(seen.responses) < PIPELINED:
            if (answer := wire.response(deadline)) is None:
                seen.closed = True
                break
            seen.responses.append(answer)
    except TimeoutError:
        seen.hung = not seen.responses
    finally:
        wire.close()
    return seen


def flood(bind: str, host: bytes, bound_s: float) -> Observed:
    """``FLOOD`` idle connections; meanwhile a new one asks for ``/healthz``."""
    held: list[socket.socket] = []
    address = bind.rsplit(":", 1)
    try:
        for _ in range(FLOOD):
            held.append(socket.create_connection((address[0], int(address[1]))))
        request = b"GET /healthz HTTP/1.1\r\nHost: " + host + b"\r\n\r\n"
        seen = exchange(bind, request, bound_s, settle=False)
        seen.note = f"with {len(held)} idle connections open: {seen}"
        return seen
    finally:
        for held_socket in held:
            held_socket.close()


def trickle(
    head: bytes, drip: bytes, bind: str, host: bytes, bound_s: float
) -> Observed:
    """``TRICKLERS`` connections: ``head`` at once, then a byte of ``drip`` at a time.

    A byte goes out on each connection every ``DRIP_S`` (none if ``drip`` is
    empty) until the server closes it or ``bound_s`` has passed. The first
    response on each connection, if any, goes into the ``Observed`` for
    ``judge`` (``Expect.each``).
    """
    address = bind.rsplit(":", 1)
    started = time.monotonic()
    open_sockets: dict[socket.socket, int] = {}
    received: dict[socket.socket, bytearray] = {}
    closed_at: list[float] = []
    for _ in range(TRICKLERS):
        client = socket.create_connection((address[0], int(address[1])))
        client.sendall(head.replace(b"{HOST}", host))
        client.setblocking(False)
        open_sockets[client] = 0
        received[client] = bytearray()
    try:
        while open_sockets and time.monotonic() - started < bound_s:
            readable, _, _ = select.select(list(open_sockets), [], [], DRIP_S)
            for client in readable:
                try:
                    data = client.recv(65536)
                except OSError:
                    data = b""
                if data:
                    received[client] += data
                    continue
                del open_sockets[client]
                closed_at.append(time.monotonic() - started)
            for client, sent in list(open_sockets.items()):
                if drip and not readable:
                    with contextlib.suppress(OSError):
                        client.send(drip[sent % len(drip) : sent % len(drip) + 1])
                    open_sockets[client] = sent + 1
    finally:
        for client in received:
            client.close()
    seen = Observed(closed=not open_sockets, hung=bool(open_sockets))
    for client, got in received.items():
        _first_response(got, client not in open_sockets, seen)
    seen.seconds = max(closed_at, default=time.monotonic() - started)
    statuses = sorted({str(answer.status) for answer in seen.responses})
    seen.note = (
        f"{TRICKLERS - len(open_sockets)}/{TRICKLERS} cut by {seen.seconds:.1f} s"
        f" (answers: {', '.join(statuses) or 'none'})"
        + (f"; {len(open_sockets)} still open" if open_sockets else "")
        + (f"; not HTTP/1.1: {seen.binary[:12]!r}" if seen.binary else "")
    )
    return seen


def _first_response(data: bytearray, closed: bool, seen: Observed) -> None:
    """Add the first response in ``data`` (or its unparsable bytes) to ``seen``."""
    try:
        answer = parse_response(data, eof=closed)
    except IncompleteError:  # still open, in the middle of an answer
        return
    except UnparsableError as error:
        seen.binary = seen.binary or (error.args[0] if error.args else b"?")
        return
    if answer is not None:
        seen.responses.append(answer)


CUT: Final = Expect(
    FOUR,
    answers=TRICKLERS,
    each=True,
    about=f"each a 4xx or a close within {BOUND_S} s + {SLACK_S:g} s",
)
HEAD: Final = b"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n"
BODY_HEAD: Final = (
    b"POST /api/echo HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100000\r\n\r\n"
)

MAIN: Final = (
    Case(
        "time",
        f"a request {CLIENT_EXPIRY_S + 0.015:.3f} s after the last answer, "
        "on the same connection",
        Expect(frozenset({200}), answer=True, answers=2, about="2 x 200"),
        drive=keepalive_race,
        slow=True,
        bound_s=CLIENT_EXPIRY_S + 5,
    ),
    Case(
        "time",
        f"a reader that reads nothing for 3 s ({PIPELINED} pipelined requests)",
        Expect(
            frozenset({200}), answer=True, answers=PIPELINED, about=f"{PIPELINED} x 200"
        ),
        drive=slow_reader,
        slow=True,
        bound_s=3,
    ),
    Case(
        "time",
        f"{FLOOD} idle connections, then GET /healthz",
        Expect(frozenset({200}), answer=True),
        drive=flood,
        flood=True,
    ),
)

TRICKLES: Final = (
    Case(
        "slow",
        f"{TRICKLERS} heads trickled a byte per {DRIP_S:g} s (slowloris)",
        CUT,
        drive=partial(trickle, HEAD, b"X-a: b\r\n"),
        flood=True,
        bound_s=BOUND_S + SLACK_S,
    ),
    Case(
        "slow",
        f"{TRICKLERS} bodies trickled a byte per {DRIP_S:g} s",
        CUT,
        drive=partial(trickle, BODY_HEAD, b" "),
        flood=True,
        sample="tour",
        bound_s=BOUND_S + SLACK_S,
    ),
    Case(
        "slow",
        f"{TRICKLERS} bodies trickled to a route that does not read them",
        CUT,
        drive=partial(
            trickle, BODY_HEAD.replace(b"POST /api/echo", b"POST /healthz"), b" "
        ),
        flood=True,
        bound_s=BOUND_S + SLACK_S,
    ),
    Case(
        "slow",
        f"{TRICKLERS} bodies that stop after 10 bytes",
        CUT,
        drive=partial(trickle, BODY_HEAD + b"[1,2,3,4,5", b""),
        flood=True,
        sample="tour",
        bound_s=BOUND_S + SLACK_S,
    ),
    Case(
        "slow",
        f"{TRICKLERS} connections that send nothing",
        CUT,
        drive=partial(trickle, b"", b""),
        flood=True,
        bound_s=BOUND_S + SLACK_S,
    ),
)
