"""Webhook signatures in the style of the Standard Webhooks specification.

Each call carries ``webhook-id`` (the delivery id, the same on every retry),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature``: ``v1,`` and
the base64 HMAC-SHA256 of ``"<id>.<timestamp>.<payload>"`` keyed with the
secret's bytes (``whsec_<base64>``). Callbacks here are GETs with no body, so
the payload signed is the query string: it carries the data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Final

PREFIX: Final = "whsec_"
TOLERANCE_S: Final = 300


def key(secret: str) -> bytes:
    """The HMAC key inside a ``whsec_...`` secret."""
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, delivery_id: str, timestamp: int, payload: str) -> str:
    """The ``webhook-signature`` header value for one call."""
    content = f"{delivery_id}.{timestamp}.{payload}".encode()
    digest = hmac.new(key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    secret: str, delivery_id: str, timestamp: int, payload: str
) -> dict[str, str]:
    """The three headers a receiver verifies."""
    return {
        "webhook-id": delivery_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, delivery_id, timestamp, payload),
    }


def verify(secret: str, received: Mapping[str, str], payload: str, now: float) -> bool:
    """What a receiver does: check the signature, and that the call is recent."""
    try:
        delivery_id = received["webhook-id"]
        timestamp = int(received["webhook-timestamp"])
        signatures = received["webhook-signature"].split()
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > TOLERANCE_S:
        return False
    expected = signature(secret, delivery_id, timestamp, payload)
    return any(hmac.compare_digest(expected, given) for given in signatures)
