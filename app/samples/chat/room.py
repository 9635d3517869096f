"""A chat room: who is in it, and fan-out with a bounded queue per member.

No WebSocket code here: the blueprint moves messages between sockets and
members. Each member's outgoing queue holds at most ``WS_SEND_QUEUE``
messages; a member whose queue is full when a message arrives is dropped
(``Member.dropped`` completes) instead of letting memory grow for a client
that does not read.
"""

from __future__ import annotations

import asyncio
from typing import Final

from quart import Quart, current_app

EXTENSION: Final = "chat.room"


class Member:
    """One connection in the room."""

    def __init__(self, name: str, queue_size: int) -> None:
        self.name = name
        self.outbox: asyncio.Queue[str | bytes] = asyncio.Queue(queue_size)
        self.dropped: asyncio.Future[None] = asyncio.get_running_loop().create_future()


class Room:
    """Everyone connected to ``/ws/chat`` in this process."""

    def __init__(self) -> None:
        self.members: set[Member] = set()

    def join(self, name: str, queue_size: int) -> Member:
        """Add a member with an empty outgoing queue."""
        member = Member(name, queue_size)
        self.members.add(member)
        return member

    def leave(self, member: Member) -> None:
        """Remove a member; a no-op if already gone."""
        self.members.discard(member)

    def broadcast(self, sender: Member, message: str | bytes) -> None:
        """Queue ``message`` for everyone but ``sender``; drop those who lag."""
        for member in list(self.members - {sender}):
            try:
                member.outbox.put_nowait(message)
            except asyncio.QueueFull:
                self.leave(member)
                if not member.dropped.done():
                    member.dropped.set_result(None)


def init_app(app: Quart) -> None:
    """Give the app its (empty) room."""
    app.extensions[EXTENSION] = Room()


def current_room() -> Room:
    """The current app's room."""
    current: Room = current_app.extensions[EXTENSION]
    return current
