"""Configuration: defaults, then a file, then ``APP_*`` variables, then the caller.

Each layer overrides the one before it:

1. ``DEFAULTS`` below;
2. the file named by ``APP_CONFIG_FILE`` (``.toml``, ``.yaml``/``.yml`` or ``.json``);
3. environment variables prefixed ``APP_`` (``APP_DEBUG=true`` sets ``DEBUG`` to
   ``True``: values are JSON-decoded, and kept as text when they are not JSON);
4. the mapping given to ``create_app()``, which wins, so tests stay sealed from
   the developer's shell.

The result is checked before the app is built: a wrong type, or a development
default left in place with ``ENV = "production"``, stops the start with a
message that names the setting.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import yaml

PREFIX: Final = "APP_"
FILE_VARIABLE: Final = "APP_CONFIG_FILE"

# Development defaults that production must replace (see ``check``). The hash is
# of the documented development password "password"; it protects nothing.
DEV_SECRET_KEY: Final = "development-only-not-a-secret"  # noqa: S105
DEV_BASIC_AUTH_USERS: Final[Mapping[str, str]] = {
    "alice": "scrypt:32768:8:1$BF2ZsDjMpUPyaiVk$4fb6521fb54f10a55fc0049fec7e6bcf6f54"
    "41f59e97a891486fb2fbe689ac6dff206cbdc75ab08b6a27b393c7569a910ab86d5177c90ca7a"
    "c06f793a35bcdb2",
}

# Standard Webhooks secrets are "whsec_" and base64; this one signs nothing real.
DEV_WEBHOOK_SECRET: Final = "whsec_ZGV2ZWxvcG1lbnQtb25seS1ub3QtYS1zZWNyZXQ="  # noqa: S105

DEFAULTS: Final[Mapping[str, Any]] = {
    "ENV": "development",
    "DEBUG": False,
    "SECRET_KEY": DEV_SECRET_KEY,
    # Quart reads this for every request body: 1 MiB, then 413.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Even in debug mode a missing form key stays a 400, never a 500.
    "TRAP_BAD_REQUEST_ERRORS": False,
    "BASIC_AUTH_REALM": "kit",
    "BASIC_AUTH_USERS": DEV_BASIC_AUTH_USERS,
    "USERS": {"1": "Alice", "2": "Bob"},
    "TEAMS": {"1": ["Alice", "Bob"], "2": ["Charles"]},
    "PROXY_TRUSTED_HOPS": 0,
    # One line per request: "stdout" (fastest), "logging" (the app.access
    # logger, for your handlers and formatters) or "off". See app/request_log.py.
    "ACCESS_LOG": "stdout",
    "READY_TIMEOUT": 2.0,
    # None: SQLite in the git-ignored instance folder. Or a URL such as
    # postgresql://user@host/db; the async driver is chosen for you.
    "DATABASE_URL": None,
    # PostgreSQL only: keep the tables in this schema (search_path).
    "DATABASE_SCHEMA": None,
    # SQLite only: how long a write waits for another writer before it gives up
    # and the request gets a 503.
    "DATABASE_BUSY_TIMEOUT": 5.0,
    # Webhooks (/api/endpoint): where and when callbacks go, and how they retry.
    "CALLBACK_URL": None,
    "WEBHOOK_DELAY": 5.0,
    "WEBHOOK_SECRET": DEV_WEBHOOK_SECRET,
    "WEBHOOK_MAX_ATTEMPTS": 8,
    "WEBHOOK_TIMEOUT": 10.0,
    "WEBHOOK_RETRY_BASE": 1.0,
    "WEBHOOK_RETRY_CAP": 300.0,
    "WEBHOOK_CONCURRENCY": 16,
    "WEBHOOK_SHUTDOWN_TIMEOUT": 3.0,
    # WebSockets: bounds on each message, on silence, and on unread output.
    "WS_MAX_MESSAGE_SIZE": 64 * 1024,
    "WS_IDLE_TIMEOUT": 300.0,
    "WS_SEND_QUEUE": 32,
    # Browsers send Origin; /ws/chat refuses any not listed here (403).
    "ALLOWED_ORIGINS": ["http://127.0.0.1:5000", "http://localhost:5000"],
    # Service B for /a/call_b; None: this kit's own /b/ on hypercorn.toml's bind.
    "SERVICE_B_URL": None,
    "SERVICE_B_TIMEOUT": 5.0,
}

PRODUCTION_MUST_SET: Final = ("SECRET_KEY", "BASIC_AUTH_USERS", "WEBHOOK_SECRET")
ENVIRONMENTS: Final = ("development", "production")
ACCESS_LOGS: Final = ("stdout", "logging", "off")
# Never echoed in error messages, which end up in logs.
SECRETS: Final = frozenset({"SECRET_KEY", "BASIC_AUTH_USERS", "WEBHOOK_SECRET"})


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the setting."""


def load(
    overrides: Mapping[str, Any] | None, environ: Mapping[str, str]
) -> dict[str, Any]:
    """Merge the four layers and check the result."""
    config = copy.deepcopy(dict(DEFAULTS))  # no app may mutate the defaults
    if path := environ.get(FILE_VARIABLE):
        config.update(read_file(Path(path)))
    config.update(from_environ(environ))
    config.update(overrides or {})
    check(config)
    return config


_READERS: Final[Mapping[str, Callable[[bytes], Any]]] = {
    ".toml": lambda data: tomllib.loads(data.decode()),
    ".yaml": yaml.safe_load,
    ".yml": yaml.safe_load,
    ".json": json.loads,
}


def read_file(path: Path) -> dict[str, Any]:
    """Read upper-case keys from a TOML, YAML or JSON file, chosen by extension."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise ConfigError(f"{FILE_VARIABLE}: {path} is not .toml, .yaml, .yml or .json")
    try:
        data = reader(path.read_bytes())
    except OSError as error:
        raise ConfigError(f"{FILE_VARIABLE}: cannot read {path}: {error}") from None
    except (ValueError, yaml.YAMLError) as error:
        raise ConfigError(f"{FILE_VARIABLE}: {path} is not valid: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{FILE_VARIABLE}: {path} must hold a mapping of settings")
    # Like Flask's from_file/from_object: only upper-case keys are settings.
    return {key: value for key, value in data.items() if key.isupper()}


def from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """Settings from ``APP_<NAME>`` variables, JSON-decoded where possible."""
    settings: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(PREFIX) or name == FILE_VARIABLE:
            continue
        key = name.removeprefix(PREFIX)
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        # A text setting stays text: APP_SECRET_KEY=12345 is not the number 12345.
        if isinstance(DEFAULTS.get(key), str) and not isinstance(value, str):
            value = raw
        settings[key] = value
    return settings


def check(config: Mapping[str, Any]) -> None:
    """Raise ``ConfigError`` naming the first setting that cannot be used."""
    for key, is_valid, expected in _RULES:
        if key in config and not is_valid(config[key]):
            shown = "a value not shown" if key in SECRETS else repr(config[key])
            raise ConfigError(f"{key} must be {expected}, got {shown}")
    if config["ENV"] != "production":
        return
    for key in PRODUCTION_MUST_SET:
        if config[key] == DEFAULTS[key]:
            raise ConfigError(
                f"{key} still has its development default; set {PREFIX}{key} "
                "(or put it in the config file) before running with ENV=production"
            )
    if config["DEBUG"]:
        raise ConfigError("DEBUG must be off with ENV=production")


def _is_int(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _is_seconds(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _is_schema(value: Any) -> bool:
    # It goes into search_path and DDL, so only plain identifiers are allowed.
    if value is None:
        return True
    return isinstance(value, str) and bool(
        re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value)
    )


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _is_origins(value: Any) -> bool:
    return isinstance(value, list) and all(_is_http_url(v) for v in value)


def _is_webhook_secret(value: Any) -> bool:
    if not isinstance(value, str) or not value.startswith("whsec_"):
        return False
    try:
        key = base64.b64decode(value.removeprefix("whsec_"), validate=True)
    except ValueError:
        return False
    return len(key) >= 16


def _is_str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) and k and v for k, v in value.items()
    )


def _is_password_hashes(value: Any) -> bool:
    # Werkzeug hashes look like "method$salt$hash"; a plain password does not.
    return _is_str_map(value) and all(
        v.count("$") == 2 and v.startswith(("scrypt:", "pbkdf2:"))
        for v in value.values()
    )


def _is_users(value: Any) -> bool:
    # The converter maps ids to names and back, so names must be unique too;
    # an id holding "/" could never match a URL segment.
    return (
        _is_str_map(value)
        and len(set(value.values())) == len(value)
        and not any("/" in user_id for user_id in value)
    )


def _is_teams(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str)
        and isinstance(v, list)
        and all(isinstance(name, str) for name in v)
        for k, v in value.items()
    )


def _is_realm(value: Any) -> bool:
    # The realm is sent inside a quoted header parameter.
    return (
        isinstance(value, str) and value.isprintable() and not set('"\\') & set(value)
    )


_RULES: Final[tuple[tuple[str, Callable[[Any], bool], str], ...]] = (
    ("ENV", lambda v: v in ENVIRONMENTS, f"one of {', '.join(ENVIRONMENTS)}"),
    ("DEBUG", lambda v: isinstance(v, bool), "true or false"),
    ("TESTING", lambda v: isinstance(v, bool), "true or false"),
    ("SECRET_KEY", lambda v: isinstance(v, str) and len(v) >= 16, "text of 16+ chars"),
    ("MAX_CONTENT_LENGTH", lambda v: _is_int(v, 1), "a positive number of bytes"),
    ("BASIC_AUTH_REALM", _is_realm, "printable text without quotes or backslashes"),
    ("BASIC_AUTH_USERS", _is_password_hashes, "a mapping of user to werkzeug hash"),
    ("USERS", _is_users, "a mapping of id (no '/') to unique name"),
    ("TEAMS", _is_teams, "a mapping of team id to a list of names"),
    ("PROXY_TRUSTED_HOPS", lambda v: _is_int(v, 0), "a whole number, 0 or more"),
    ("ACCESS_LOG", lambda v: v in ACCESS_LOGS, f"one of {', '.join(ACCESS_LOGS)}"),
    ("READY_TIMEOUT", _is_seconds, "a positive number of seconds"),
    ("DATABASE_URL", lambda v: v is None or _is_text(v), "null or a database URL"),
    ("DATABASE_SCHEMA", _is_schema, "null or a lower-case SQL identifier"),
    ("DATABASE_BUSY_TIMEOUT", _is_seconds, "a positive number of seconds"),
    ("CALLBACK_URL", lambda v: v is None or _is_http_url(v), "null or an http(s) URL"),
    ("WEBHOOK_DELAY", lambda v: _is_seconds(v) or v == 0, "0 or more seconds"),
    ("WEBHOOK_SECRET", _is_webhook_secret, "whsec_ and base64 of 16+ bytes"),
    ("WEBHOOK_MAX_ATTEMPTS", lambda v: _is_int(v, 1), "a whole number, 1 or more"),
    ("WEBHOOK_TIMEOUT", _is_seconds, "a positive number of seconds"),
    ("WEBHOOK_RETRY_BASE", _is_seconds, "a positive number of seconds"),
    ("WEBHOOK_RETRY_CAP", _is_seconds, "a positive number of seconds"),
    ("WEBHOOK_CONCURRENCY", lambda v: _is_int(v, 1), "a whole number, 1 or more"),
    ("WEBHOOK_SHUTDOWN_TIMEOUT", _is_seconds, "a positive number of seconds"),
    ("WS_MAX_MESSAGE_SIZE", lambda v: _is_int(v, 1), "a positive number of bytes"),
    ("WS_IDLE_TIMEOUT", _is_seconds, "a positive number of seconds"),
    ("WS_SEND_QUEUE", lambda v: _is_int(v, 1), "a whole number, 1 or more"),
    ("ALLOWED_ORIGINS", _is_origins, "a list of origins such as http://host:port"),
    ("SERVICE_B_URL", lambda v: v is None or _is_http_url(v), "null or an http URL"),
    ("SERVICE_B_TIMEOUT", _is_seconds, "a positive number of seconds"),
)
