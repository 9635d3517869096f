"""CORS with quart-cors: browsers on the origins in ``CORS_ORIGINS`` may call the API.

Off by default (``CORS_ORIGINS = []``): a browser page on another origin
cannot read the answers, as the same-origin policy has it. With origins
named (``["https://app.example.com"]``; ``"*"`` for any), quart-cors answers
preflight ``OPTIONS`` requests and adds ``Access-Control-Allow-Origin`` to
every answer for those origins, errors included. WebSockets are left as
they are: quart-cors would also refuse every handshake that carries no
allowed ``Origin``, which clients that are not browsers do not send. The
headers a client reads (``ETag``,
``Location``, ``Link``, ``Retry-After``, ``X-Request-Id``, ``X-Cache``) are
exposed. ``CORS_ALLOW_CREDENTIALS`` lets pages send cookies and
``Authorization``; it needs origins by name.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import Field, model_validator
from quart import Quart
from quart_cors import cors

from app.core.settings import Seconds, Settings

EXPOSED: Final = ("ETag", "Location", "Link", "Retry-After", "X-Request-Id", "X-Cache")


class CorsSettings(Settings):
    """Which browser origins may call the service."""

    # Origins with scheme and host ("https://app.example.com"), or "*".
    CORS_ORIGINS: list[Annotated[str, Field(pattern=r"^(\*|https?://[^/\s]+)$")]] = (
        Field(default_factory=list)
    )
    # Let those pages send cookies and Authorization (never with "*").
    CORS_ALLOW_CREDENTIALS: bool = False
    # How long a browser may keep a preflight's answer.
    CORS_MAX_AGE: Seconds = 600.0

    @model_validator(mode="after")
    def _credentials_need_named_origins(self) -> CorsSettings:
        if self.CORS_ALLOW_CREDENTIALS and "*" in self.CORS_ORIGINS:
            raise ValueError("CORS_ALLOW_CREDENTIALS needs CORS_ORIGINS by name, not *")
        return self


def init_app(app: Quart) -> None:
    """Answer cross-origin requests from ``CORS_ORIGINS``; nothing if there are none."""
    origins = app.config["CORS_ORIGINS"]
    if not origins:
        return
    websocket_hooks = list(app.before_websocket_funcs.get(None, []))
    cors(
        app,
        allow_origin=origins,
        allow_credentials=app.config["CORS_ALLOW_CREDENTIALS"],
        expose_headers=EXPOSED,
        max_age=app.config["CORS_MAX_AGE"],
        send_origin_wildcard="*" in origins,
    )
    app.before_websocket_funcs[None] = websocket_hooks  # see the module
