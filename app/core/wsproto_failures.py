"""Answer a WebSocket protocol failure with a close frame, as RFC 6455 asks.

When a client breaks the protocol (text that is not UTF-8, an unmasked or
reserved frame), wsproto reports it as a ``CloseConnection`` event with the
right code (1007, 1002) but leaves the connection open, so Hypercorn, which
answers only a close that the client sent, drops the TCP connection with no
close frame and the client never learns why. This marks such a failure as a
close received, so that Hypercorn answers it with a close frame carrying
wsproto's code. Upstream: see docs/upstream.md ("Hypercorn: no close frame
after a WebSocket protocol error").
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Final

from wsproto.connection import Connection, ConnectionState
from wsproto.events import CloseConnection, Event

_PATCHED: Final = "_kit_answers_failures"


def apply() -> None:
    """Patch wsproto's ``Connection.events``, once per process."""
    if getattr(Connection, _PATCHED, False):
        return
    original: Callable[[Connection], Generator[Event, None, None]] = Connection.events

    def events(self: Connection) -> Generator[Event, None, None]:
        for event in original(self):
            if (
                isinstance(event, CloseConnection)
                and self.state is ConnectionState.OPEN
            ):
                # A failure, not a close the peer sent: answer it like one.
                self._state = ConnectionState.REMOTE_CLOSING
            yield event

    Connection.events = events  # type: ignore[method-assign]
    setattr(Connection, _PATCHED, True)
