"""The chat's settings: each member's queue, and the browser origins it accepts."""

from __future__ import annotations

from pydantic import Field

from app.core.settings import Count, HttpURL, Settings


class ChatSettings(Settings):
    """Bounds and origins for ``/ws/chat``."""

    # Messages queued for a member; a full queue closes its socket with 1008.
    WS_SEND_QUEUE: Count = 32
    # Browsers send Origin; /ws/chat refuses any not listed here (403).
    ALLOWED_ORIGINS: list[HttpURL] = Field(
        default_factory=lambda: ["http://127.0.0.1:5000", "http://localhost:5000"]
    )
