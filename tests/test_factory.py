"""create_app() and its config layers: defaults, file, APP_* variables, mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from app.config import DEFAULTS, ConfigError


def test_builds_with_no_argument() -> None:
    app = create_app()
    assert app.config["DEBUG"] is False
    assert app.debug is False
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert app.config["ENV"] == "development"


def test_each_call_builds_a_new_app() -> None:
    first, second = create_app(), create_app()
    assert first is not second
    assert first.extensions["users"] is not second.extensions["users"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("settings.toml", 'TEAMS = { "9" = ["Zoe"] }\nlower_case = "ignored"\n'),
        ("settings.yaml", "TEAMS:\n  '9': [Zoe]\nlower_case: ignored\n"),
        ("settings.yml", "TEAMS: {'9': [Zoe]}\n"),
        ("settings.json", '{"TEAMS": {"9": ["Zoe"]}, "lower_case": "ignored"}'),
    ],
)
def test_file_layer_by_extension(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    monkeypatch.setenv("APP_CONFIG_FILE", str(path))
    app = create_app()
    assert app.config["TEAMS"] == {"9": ["Zoe"]}
    assert "lower_case" not in app.config


def test_environment_beats_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"PROXY_TRUSTED_HOPS": 1, "READY_TIMEOUT": 7}))
    monkeypatch.setenv("APP_CONFIG_FILE", str(path))
    monkeypatch.setenv("APP_PROXY_TRUSTED_HOPS", "2")
    app = create_app()
    assert app.config["PROXY_TRUSTED_HOPS"] == 2
    assert app.config["READY_TIMEOUT"] == 7


@pytest.mark.parametrize(
    ("variable", "raw", "key", "value"),
    [
        ("APP_DEBUG", "true", "DEBUG", True),
        ("APP_MAX_CONTENT_LENGTH", "2048", "MAX_CONTENT_LENGTH", 2048),
        ("APP_USERS", '{"7": "Gus"}', "USERS", {"7": "Gus"}),
        ("APP_BASIC_AUTH_REALM", "not json", "BASIC_AUTH_REALM", "not json"),
        # A text setting stays text even when it looks like a number.
        (
            "APP_SECRET_KEY",
            "12345678901234567890",
            "SECRET_KEY",
            "12345678901234567890",
        ),
        ("APP_SOMETHING_NEW", "[1, 2]", "SOMETHING_NEW", [1, 2]),
    ],
)
def test_environment_layer_is_json_decoded(
    monkeypatch: pytest.MonkeyPatch, variable: str, raw: str, key: str, value: Any
) -> None:
    monkeypatch.setenv(variable, raw)
    assert create_app().config[key] == value


def test_mapping_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_DEBUG", "true")
    monkeypatch.setenv("APP_USERS", '{"7": "Gus"}')
    app = create_app({"DEBUG": False})
    assert app.config["DEBUG"] is False
    assert app.config["USERS"] == {"7": "Gus"}


def test_defaults_are_not_shared_between_apps() -> None:
    app = create_app()
    app.config["TEAMS"]["1"].append("Mallory")  # a careless mutation
    assert DEFAULTS["TEAMS"]["1"] == ["Alice", "Bob"]
    assert create_app().config["TEAMS"]["1"] == ["Alice", "Bob"]


PRODUCTION_WEBHOOK_SECRET = "whsec_cHJvZHVjdGlvbi13ZWJob29rLXNlY3JldA=="


@pytest.mark.parametrize("key", ["SECRET_KEY", "BASIC_AUTH_USERS", "WEBHOOK_SECRET"])
def test_production_refuses_development_defaults(key: str) -> None:
    safe = {
        "ENV": "production",
        "SECRET_KEY": "a-production-secret-of-some-length",
        "BASIC_AUTH_USERS": {"ops": "scrypt:32768:8:1$salt$0123abcd"},
        "WEBHOOK_SECRET": PRODUCTION_WEBHOOK_SECRET,
    }
    del safe[key]
    with pytest.raises(ConfigError, match=key):
        create_app(safe)


def test_production_starts_with_its_own_secrets() -> None:
    app = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "a-production-secret-of-some-length",
            "BASIC_AUTH_USERS": {"ops": "scrypt:32768:8:1$salt$0123abcd"},
            "WEBHOOK_SECRET": PRODUCTION_WEBHOOK_SECRET,
        }
    )
    assert app.config["ENV"] == "production"


def test_production_refuses_debug() -> None:
    with pytest.raises(ConfigError, match="DEBUG"):
        create_app(
            {
                "ENV": "production",
                "DEBUG": True,
                "SECRET_KEY": "a-production-secret-of-some-length",
                "BASIC_AUTH_USERS": {"ops": "scrypt:32768:8:1$salt$0123abcd"},
                "WEBHOOK_SECRET": PRODUCTION_WEBHOOK_SECRET,
            }
        )


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"ENV": "prod"}, "ENV"),
        ({"DEBUG": "yes"}, "DEBUG"),
        ({"MAX_CONTENT_LENGTH": 0}, "MAX_CONTENT_LENGTH"),
        ({"MAX_CONTENT_LENGTH": True}, "MAX_CONTENT_LENGTH"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"BASIC_AUTH_USERS": {"alice": "password"}}, "BASIC_AUTH_USERS"),
        ({"BASIC_AUTH_REALM": 'say "hi"'}, "BASIC_AUTH_REALM"),
        ({"USERS": {"1": "Alice", "2": "Alice"}}, "USERS"),
        ({"USERS": {"1": 5}}, "USERS"),
        ({"USERS": {"a/b": "Slash"}}, "USERS"),
        ({"TEAMS": {"1": "Alice"}}, "TEAMS"),
        ({"PROXY_TRUSTED_HOPS": -1}, "PROXY_TRUSTED_HOPS"),
        ({"ACCESS_LOG": "stderr"}, "ACCESS_LOG"),
        ({"ACCESS_LOG": False}, "ACCESS_LOG"),
        ({"READY_TIMEOUT": 0}, "READY_TIMEOUT"),
    ],
)
def test_invalid_settings_stop_the_start(override: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        create_app(override)


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("settings.ini", "[x]", "is not .toml"),
        ("settings.toml", "= broken", "is not valid"),
        ("settings.yaml", "key: [unclosed", "is not valid"),
        ("settings.json", "[1, 2]", "must hold a mapping"),
    ],
)
def test_bad_config_file_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str, reason: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    monkeypatch.setenv("APP_CONFIG_FILE", str(path))
    with pytest.raises(ConfigError, match=reason):
        create_app()


def test_missing_config_file_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_CONFIG_FILE", str(tmp_path / "absent.toml"))
    with pytest.raises(ConfigError, match="cannot read"):
        create_app()
