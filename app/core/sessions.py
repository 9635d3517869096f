"""No cookie sessions: this service keeps no per-client state between requests.

A microservice authenticates every request (Basic auth here, tokens in most
deployments), so Quart's signed-cookie session is pure cost: it builds a
signing serializer on every request, and on Quart 0.23 it adds ``Vary:
Cookie`` to every response, which defeats caches. To use sessions, drop
``sessions.init_app(app)`` from ``app.core.install`` and set ``SECRET_KEY``
(16+ characters), which signs them.
"""

from __future__ import annotations

from typing import Any, NoReturn

from quart import Quart
from quart.sessions import NullSession, SecureCookieSessionInterface
from quart.typing import ResponseTypes
from quart.wrappers import BaseRequestWebsocket


class SessionsOff(NullSession):
    """An empty session that explains itself when a view writes to it."""

    def _fail(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError(
            "Cookie sessions are off in this kit: "
            "see app/core/sessions.py to turn them on."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail


class NoSessions(SecureCookieSessionInterface):
    """Never read or write a session cookie.

    It extends the cookie interface only because Quart types its
    ``session_interface`` attribute as that class.
    """

    null_session_class = SessionsOff

    async def open_session(self, app: Quart, request: BaseRequestWebsocket) -> None:
        return None

    async def save_session(
        self, app: Quart, session: Any, response: ResponseTypes | None
    ) -> None:
        return None


def init_app(app: Quart) -> None:
    """Turn Quart's cookie sessions off for ``app``."""
    app.session_interface = NoSessions()
