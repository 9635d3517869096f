"""The webhooks' settings: where and when callbacks go, how they retry, the key."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Final

from pydantic import AfterValidator, Field

from app.core.settings import Count, HttpURL, Seconds, Secret, Settings

# Standard Webhooks secrets are "whsec_" and base64; this one signs nothing
# real, and production refuses to start with it.
DEV_WEBHOOK_SECRET: Final = "whsec_ZGV2ZWxvcG1lbnQtb25seS1ub3QtYS1zZWNyZXQ="  # noqa: S105


def _webhook_secret(value: str) -> str:
    try:
        key = base64.b64decode(value.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not value.startswith("whsec_") or len(key) < 16:
        raise ValueError("must be whsec_ and the base64 of 16 or more bytes")
    return value


class WebhookSettings(Settings):
    """``/api/endpoint``'s callbacks and the worker that delivers them."""

    # Where callbacks go; unset, POST /api/endpoint is a 503.
    CALLBACK_URL: HttpURL | None = None
    WEBHOOK_DELAY: Annotated[float, Field(ge=0)] = 5.0  # seconds to the callback
    WEBHOOK_SECRET: Annotated[
        str, AfterValidator(_webhook_secret), Secret(required_in_production=True)
    ] = DEV_WEBHOOK_SECRET
    WEBHOOK_MAX_ATTEMPTS: Count = 8
    WEBHOOK_TIMEOUT: Seconds = 10.0  # per call; a claim lasts three times this
    WEBHOOK_RETRY_BASE: Seconds = 1.0  # backoff: base * 2**(attempt - 1) ...
    WEBHOOK_RETRY_CAP: Seconds = 300.0  # ... capped, with jitter
    WEBHOOK_CONCURRENCY: Count = 16  # calls in flight per process
    WEBHOOK_SHUTDOWN_TIMEOUT: Seconds = 3.0  # for calls in flight at shutdown
