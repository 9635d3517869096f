"""WebSockets: an echo, a policy close, and a chat room with limits, at ``/ws``.

``ws`` is the blueprint; ``room`` keeps the chat's members and their bounded
queues, with no WebSocket code. The close codes come from the core
(``app.core.websockets``). ``README.md`` here shows how to talk to them.
"""

from __future__ import annotations

from quart import Quart

from app.core.features import Feature
from app.samples.chat import room, ws
from app.samples.chat.settings import ChatSettings


def install(app: Quart) -> None:
    """Give the app its (empty) room; register the blueprint."""
    room.init_app(app)
    app.register_blueprint(ws.blueprint)


feature = Feature("chat", install, settings=(ChatSettings,))
