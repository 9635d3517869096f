"""Where service A finds service B, and how long it waits."""

from __future__ import annotations

from app.core.settings import HttpURL, Seconds, Settings


class ServicesSettings(Settings):
    """A's view of B."""

    # None: this server's own /b/, at the address it is bound to.
    SERVICE_B_URL: HttpURL | None = None
    SERVICE_B_TIMEOUT: Seconds = 5.0  # then A answers 504
