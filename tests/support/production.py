"""The settings that ``ENV=production`` refuses to start without, and values for them.

Read from the settings classes of the core and of each installed feature, so
that the image test, compose.yaml's check and docs/production.md's check
follow a feature that is added or stripped.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Final

import httpx
from werkzeug.security import generate_password_hash

from app import FEATURES
from app.core import SETTINGS
from app.core.settings import Secret, SetInProduction
from tests.support.live import POLL_S

# The host name clients use; requests name it in their Host header.
HOST: Final = "api.example.com"
# Values that must have a shape; any other required secret gets a random token.
SHAPES: Final[Mapping[str, Callable[[], str]]] = {
    "TRUSTED_HOSTS": lambda: json.dumps([HOST]),
    "BASIC_AUTH_USERS": lambda: json.dumps(
        {"ops": generate_password_hash(secrets.token_urlsafe())}
    ),
    "WEBHOOK_SECRET": lambda: (
        "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    ),
}


def required_settings() -> list[str]:
    """The names of the settings production must be given, core's first."""
    classes = [*SETTINGS, *(cls for feature in FEATURES for cls in feature.settings)]
    return [
        name
        for cls in classes
        for name, field in cls.model_fields.items()
        if any(
            isinstance(marker, SetInProduction)
            or (isinstance(marker, Secret) and marker.required_in_production)
            for marker in field.metadata
        )
    ]


def production_environment() -> dict[str, str]:
    """``APP_ENV=production`` and an ``APP_*`` value for each required setting."""
    environ = {"APP_ENV": "production"}
    for name in required_settings():
        environ[f"APP_{name}"] = SHAPES.get(name, secrets.token_urlsafe)()
    return environ


def first_answer(
    url: str, within_s: float, running: Callable[[], bool] = lambda: True
) -> httpx.Response | None:
    """GET ``url`` as production's clients do, until it answers.

    Asked again every ``POLL_S`` while nothing listens, for ``within_s``
    seconds or while ``running()`` holds; None if nothing answered.
    """
    deadline = time.perf_counter() + within_s
    while time.perf_counter() < deadline and running():
        try:
            return httpx.get(url, headers={"Host": HOST}, timeout=0.5)
        except httpx.TransportError:
            time.sleep(POLL_S)  # not listening yet: pace the next try
    return None
