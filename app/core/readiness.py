"""Readiness checks: each dependency registers an async probe under a name.

``GET /readyz`` runs them all concurrently, each bounded by ``READY_TIMEOUT``
seconds, and names the ones that fail. A database extension, for example,
calls ``add_check(app, "database", ping)`` from its ``init_app``. A check
that is not ``required`` (a cache the service answers without) makes the
service degraded, not unready: ``/readyz`` still answers 200, naming it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from quart import Quart, current_app

from app.core.settings import Seconds, Settings

EXTENSION: Final = "readiness"

Check = Callable[[], Awaitable[object]]

logger = logging.getLogger(__name__)


class ReadinessSettings(Settings):
    """How long each readiness check may take."""

    READY_TIMEOUT: Seconds = 2.0


def init_app(app: Quart) -> None:
    """Start the app with no checks: with no dependencies it is always ready."""
    app.extensions[EXTENSION] = {}


def add_check(app: Quart, name: str, check: Check, *, required: bool = True) -> None:
    """Register ``check`` under ``name``; it passes unless it raises or times out."""
    app.extensions[EXTENSION][name] = (check, required)


async def failing_checks() -> tuple[list[str], list[str]]:
    """The required and the optional checks that fail now, in registration order."""
    checks: dict[str, tuple[Check, bool]] = current_app.extensions[EXTENSION]
    limit = current_app.config["READY_TIMEOUT"]
    results = await asyncio.gather(
        *(_passes(name, check, limit) for name, (check, _) in checks.items())
    )
    failing: tuple[list[str], list[str]] = ([], [])
    for (name, (_, required)), passed in zip(checks.items(), results, strict=True):
        if not passed:
            failing[0 if required else 1].append(name)
    return failing


async def _passes(name: str, check: Check, limit: float) -> bool:
    try:
        await asyncio.wait_for(check(), limit)
    except Exception:
        # The reason goes to the log only: it may hold a host name or a password.
        logger.warning("readiness check %r failed", name, exc_info=True)
        return False
    return True
