"""Standard Webhooks style signatures: what the worker sends, a receiver checks."""

from __future__ import annotations

import base64
import hashlib
import hmac

from app.samples.webhooks import signing
from app.samples.webhooks.settings import DEV_WEBHOOK_SECRET as SECRET

PAYLOAD = "success=true&identifier=abc&some_parameter=x"
NOW = 1_800_000_000


def test_signature_is_hmac_sha256_of_id_timestamp_payload() -> None:
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    digest = hmac.new(key, f"msg_1.{NOW}.{PAYLOAD}".encode(), hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(digest).decode()
    assert signing.signature(SECRET, "msg_1", NOW, PAYLOAD) == expected


def test_a_receiver_verifies_what_was_sent() -> None:
    sent = signing.headers(SECRET, "msg_1", NOW, PAYLOAD)
    assert signing.verify(SECRET, sent, PAYLOAD, now=NOW + 5)


def test_tampering_or_replay_fails_verification() -> None:
    sent = signing.headers(SECRET, "msg_1", NOW, PAYLOAD)
    other = "whsec_" + base64.b64encode(b"another-secret-of-16+").decode()
    assert not signing.verify(SECRET, sent, PAYLOAD.replace("x", "y"), now=NOW)
    assert not signing.verify(SECRET, {**sent, "webhook-id": "msg_2"}, PAYLOAD, NOW)
    assert not signing.verify(other, sent, PAYLOAD, now=NOW)
    assert not signing.verify(SECRET, sent, PAYLOAD, now=NOW + 301)
    assert not signing.verify(SECRET, {}, PAYLOAD, now=NOW)
    assert not signing.verify(SECRET, {**sent, "webhook-timestamp": "x"}, PAYLOAD, NOW)


def test_any_of_several_signatures_may_match() -> None:
    sent = signing.headers(SECRET, "msg_1", NOW, PAYLOAD)
    rotated = {**sent, "webhook-signature": "v1,b2xk " + sent["webhook-signature"]}
    assert signing.verify(SECRET, rotated, PAYLOAD, now=NOW)
