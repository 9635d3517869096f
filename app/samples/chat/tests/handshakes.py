"""The ``/ws/chat`` handshake storm: many at once, queued behind the password check.

``STRESS_WS_HANDSHAKES`` clients open ``/ws/chat`` with Basic credentials
(alice:password) at the same moment; each password is checked with scrypt
in a worker thread, a few at a time, and past ``AUTH_MAX_WAITING`` waiting
the server answers 503 with ``Retry-After``. A client so refused comes back
after that many seconds, as a well-behaved client does, until ``OPEN_S``.
Each must end accepted (101, then the welcome message), never cut (a reset,
a close with no response, no answer) nor refused otherwise, its credentials
being right. Then one member sends a message and every other must receive
it. The clients behave like browsers: no pings of their own.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from collections import Counter
from typing import Any, Final

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.bench.parts import verdict
from tests.stress.parts import Stress
from tests.stress.servers import serve

# How long a client keeps trying: the password checks of 1,000 clients, a few
# at a time, take a couple of minutes on 2 cores.
OPEN_S: Final = 300.0
RECEIVE_S: Final = 15.0
CREDENTIALS: Final = "Basic " + base64.b64encode(b"alice:password").decode()


async def _one(
    url: str, retries: Counter[str]
) -> tuple[str, ClientConnection | None, float]:
    """``accepted``, ``refused <status>`` or ``cut (<why>)``; the socket; when.

    A 503 with ``Retry-After`` is retried after it (counted in ``retries``);
    without the header, or past ``OPEN_S``, it is the outcome.
    """
    deadline = time.monotonic() + OPEN_S
    while True:
        try:
            socket = await connect(
                url,
                additional_headers={"Authorization": CREDENTIALS},
                open_timeout=max(deadline - time.monotonic(), 1),
                ping_interval=None,
                compression=None,
                proxy=None,
            )
        except InvalidStatus as refused:
            status = refused.response.status_code
            after = refused.response.headers.get("Retry-After", "")
            if status != 503 or not after.isdigit():
                return f"refused {status}", None, 0.0
            if time.monotonic() + int(after) > deadline:
                return "refused 503 until the end", None, 0.0
            retries["503 with Retry-After, retried"] += 1
            await asyncio.sleep(int(after))  # what the server asked for
            continue
        except TimeoutError:
            if time.monotonic() >= deadline - 1:
                return "still waiting at the end", None, 0.0
            return "cut (TimeoutError)", None, 0.0
        except Exception as error:  # every other way a handshake fails: cut
            return f"cut ({type(error).__name__})", None, 0.0
        break
    try:
        await asyncio.wait_for(socket.recv(), RECEIVE_S)  # the welcome
    except (ConnectionClosed, TimeoutError) as error:
        return f"cut after 101 ({type(error).__name__})", None, 0.0
    return "accepted", socket, time.monotonic()


async def _receives(socket: ClientConnection, message: str) -> str:
    try:
        async with asyncio.timeout(RECEIVE_S):
            while (await socket.recv()) != message:
                pass
    except TimeoutError:
        return "nothing within 15 s"
    except ConnectionClosed as closed:
        if closed.rcvd is None:
            return "closed with no close frame"
        return f"closed {closed.rcvd.code} {closed.rcvd.reason!r}"
    return "received"


async def _storm(url: str, count: int) -> tuple[Counter[str], Counter[str], float]:
    started = time.monotonic()
    retries: Counter[str] = Counter()
    results = await asyncio.gather(*(_one(url, retries) for _ in range(count)))
    took = time.monotonic() - started
    outcomes = Counter(outcome for outcome, _, _ in results) + retries
    joined = sorted((at, n, socket) for n, (_, socket, at) in enumerate(results))
    members = [socket for _, _, socket in joined if socket is not None]
    received: Counter[str] = Counter()
    message = f"broadcast {secrets.token_hex(4)}"
    for sender in reversed(members):  # the latest to join: the likeliest open
        try:
            await sender.send(message)
        except ConnectionClosed:
            continue
        others = [member for member in members if member is not sender]
        received.update(await asyncio.gather(*(_receives(m, message) for m in others)))
        break
    await asyncio.gather(*(m.close() for m in members), return_exceptions=True)
    return outcomes, received, took


def storm(stress: Stress) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """The storm on a server of its own; figures, verdicts and report lines."""
    count = stress.sizes.handshakes
    with serve(stress.folder / "ws-handshakes.log") as running:
        url = f"ws://{running.server.bind}/ws/chat"
        outcomes, received, took = asyncio.run(_storm(url, count))
        running.check_alive()
    accepted = outcomes["accepted"]
    everyone = accepted > 1 and received["received"] == accepted - 1
    lines = [
        f"{count} concurrent /ws/chat handshakes as alice, in {took:.1f} s: "
        + ", ".join(f"{outcome} {n}" for outcome, n in outcomes.most_common()),
        f"  then a broadcast to the {max(accepted - 1, 0)} other members: "
        + (
            ", ".join(f"{what} {n}" for what, n in received.most_common())
            or "not sent: no member's socket was still open"
        ),
    ]
    found = {
        "handshakes": {
            "count": count,
            "seconds": round(took, 1),
            "outcomes": dict(outcomes),
            "broadcast": dict(received),
        }
    }
    passed = {
        "websockets: handshake storm, every client a member in the end": verdict(
            accepted == count
        ),
        "websockets: handshake storm, every member gets the broadcast": verdict(
            everyone
        ),
    }
    return found, passed, lines
