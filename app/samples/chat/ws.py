"""WebSockets: an echo, a policy close, and a chat room with limits.

- ``/ws/echo`` sends back every text and binary message.
- ``/ws/policy`` accepts, then closes with 1008 ``Closing the connection...``:
  it raises ``WebSocketError``, and ``app/core/errors.py`` does the closing.
- ``/ws/chat`` relays each message to every other client. Its handshake needs
  valid Basic credentials (else 401) and, when the browser sends ``Origin``,
  one listed in ``ALLOWED_ORIGINS`` (else 403), both before it is accepted.

Every socket closes with 1009 on a message over ``WS_MAX_MESSAGE_SIZE``, 1001
after ``WS_IDLE_TIMEOUT`` seconds of silence or at shutdown, and a chat client
that does not read its messages is closed with 1008 (see ``room``).
"""

from __future__ import annotations

import asyncio

from quart import Blueprint, current_app, websocket

from app.core import websockets as ws
from app.core.auth import require_user
from app.core.errors import APIError
from app.core.websockets import WebSocketError
from app.samples.chat.room import Member, Room, current_room

blueprint = Blueprint("ws", __name__, url_prefix="/ws")


@blueprint.websocket("/echo")
async def echo() -> None:
    """Echo every message back, text as text and binary as binary."""
    await ws.accept()
    while True:
        await websocket.send(await ws.receive())


@blueprint.websocket("/policy")
async def policy() -> None:
    """Accept, then close with 1008 and a reason."""
    await ws.accept()
    raise WebSocketError(ws.POLICY_VIOLATION, "Closing the connection...")


@blueprint.websocket("/chat")
async def chat_room() -> None:
    """Relay messages between everyone in the room."""
    origin = websocket.headers.get("Origin")
    if origin is not None and origin not in current_app.config["ALLOWED_ORIGINS"]:
        raise APIError(403, f"Origin {origin[:100]!r} is not allowed.")
    user = await require_user(websocket.headers)
    room = current_room()
    member = room.join(user, current_app.config["WS_SEND_QUEUE"])
    tasks: list[asyncio.Future[None]] = []
    try:
        await ws.accept()
        # Once a client has this, it is in the room and gets what others send.
        await websocket.send(f"Welcome, {user}: {len(room.members)} here.")
        tasks += [
            asyncio.ensure_future(_relay_in(room, member)),
            asyncio.ensure_future(_relay_out(member)),
        ]
        done, _ = await asyncio.wait(
            [*tasks, member.dropped], return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        room.leave(member)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if member.dropped in done:
        raise WebSocketError(ws.POLICY_VIOLATION, "Too slow: messages went unread")
    for finished in done:
        finished.result()  # re-raise what ended it: a WebSocketError, a disconnect


async def _relay_in(room: Room, member: Member) -> None:
    while True:
        room.broadcast(member, await ws.receive())


async def _relay_out(member: Member) -> None:
    while True:
        await websocket.send(await member.outbox.get())
