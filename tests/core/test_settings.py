"""Settings: the layers (default, file, APP_*, mapping), checks, and production.

Most cases go through ``create_app()``; the mechanism a feature uses to declare
its own settings is shown with a test-only ``Settings`` class and ``load``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import Field
from werkzeug.security import generate_password_hash

from app import create_app
from app.core import SETTINGS
from app.core.settings import ConfigError, Secret, Settings, load

PRODUCTION_USERS = {"ops": "scrypt:32768:8:1$salt$0123abcd"}


class GardenSettings(Settings):
    """A feature's settings, as a sample would declare them."""

    GARDEN_SIZE: Annotated[int, Field(ge=1)] = 3
    GARDEN_KEY: Annotated[str, Secret(required_in_production=True)] = "dev-key"
    GARDEN_PLANTS: list[str] = Field(default_factory=lambda: ["fern"])


def test_builds_with_no_argument() -> None:
    app = create_app()
    assert app.config["DEBUG"] is False
    assert app.debug is False
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert app.config["ENV"] == "development"


def test_each_call_builds_a_new_app() -> None:
    first, second = create_app(), create_app()
    assert first is not second
    assert first.extensions is not second.extensions


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("settings.toml", 'READY_TIMEOUT = 7.5\nACCESS_LOG = "off"\n'),
        ("settings.yaml", 'READY_TIMEOUT: 7.5\nACCESS_LOG: "off"\n'),
        ("settings.yml", "{READY_TIMEOUT: 7.5, ACCESS_LOG: 'off'}\n"),
        ("settings.json", '{"READY_TIMEOUT": 7.5, "ACCESS_LOG": "off"}'),
    ],
)
def test_file_layer_by_extension(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    monkeypatch.setenv("APP_CONFIG_FILE", str(path))
    app = create_app()
    assert app.config["READY_TIMEOUT"] == 7.5
    assert app.config["ACCESS_LOG"] == "off"


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
        ("APP_BASIC_AUTH_USERS", json.dumps(PRODUCTION_USERS), "BASIC_AUTH_USERS",
         PRODUCTION_USERS),
        ("APP_BASIC_AUTH_REALM", "not json", "BASIC_AUTH_REALM", "not json"),
        # A text setting stays text even when it looks like a number.
        ("APP_SECRET_KEY", "12345678901234567890", "SECRET_KEY",
         "12345678901234567890"),
        ("APP_DATABASE_URL", "null", "DATABASE_URL", None),
        # Quart's own settings pass through, JSON-decoded.
        ("APP_BODY_TIMEOUT", "5", "BODY_TIMEOUT", 5),
    ],
)  # fmt: skip
def test_environment_layer(
    monkeypatch: pytest.MonkeyPatch, variable: str, raw: str, key: str, value: Any
) -> None:
    monkeypatch.setenv(variable, raw)
    assert create_app().config[key] == value


def test_mapping_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_DEBUG", "true")
    monkeypatch.setenv("APP_READY_TIMEOUT", "9")
    app = create_app({"DEBUG": False})
    assert app.config["DEBUG"] is False
    assert app.config["READY_TIMEOUT"] == 9


def test_defaults_are_not_shared_between_apps() -> None:
    app = create_app()
    app.config["BASIC_AUTH_USERS"]["mallory"] = "scrypt:1:1:1$x$y"  # careless
    assert "mallory" not in create_app().config["BASIC_AUTH_USERS"]


def test_a_feature_declares_its_own_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_GARDEN_PLANTS", '["rose", "ivy"]')
    config = load([GardenSettings], {"GARDEN_SIZE": 5})
    assert config == {
        "GARDEN_SIZE": 5,
        "GARDEN_KEY": "dev-key",
        "GARDEN_PLANTS": ["rose", "ivy"],
    }


def test_a_setting_no_part_declares_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_READY_TIMEOTU", "3")
    with pytest.raises(
        ConfigError, match=r"APP_READY_TIMEOTU.*did you mean APP_READY_TIMEOUT"
    ):
        create_app()


def test_an_unknown_file_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("ACCES_LOG = 'off'\n")
    monkeypatch.setenv("APP_CONFIG_FILE", str(path))
    with pytest.raises(ConfigError, match=r"names ACCES_LOG.*did you mean ACCESS_LOG"):
        create_app()


def test_an_unknown_key_in_the_mapping_is_refused() -> None:
    with pytest.raises(ConfigError, match="create_app\\(\\) got GARDEN_SIZE"):
        create_app({"GARDEN_SIZE": 3})


def test_a_removed_features_variable_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_GARDEN_SIZE", "4")
    with pytest.raises(ConfigError, match="APP_GARDEN_SIZE, which no installed part"):
        load([GardenSettings.__mro__[1]], {})  # the base class: no garden fields


def test_production_refuses_development_secrets() -> None:
    with pytest.raises(ConfigError, match="BASIC_AUTH_USERS still has its development"):
        create_app({"ENV": "production"})


PRODUCTION = {
    "ENV": "production",
    "BASIC_AUTH_USERS": PRODUCTION_USERS,
    "TRUSTED_HOSTS": ["api.example.org"],
}


def test_production_starts_with_its_own_secrets() -> None:
    config = load(_core_settings(), PRODUCTION)
    assert config["ENV"] == "production"
    assert config["SECRET_KEY"] is None  # no cookie sessions: not required


def test_production_reports_every_problem_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        load(
            [*_core_settings(), GardenSettings],
            {"ENV": "production", "DEBUG": True, "GARDEN_SIZE": 0},
        )
    problems = raised.value.problems
    assert any(p.startswith("GARDEN_SIZE: Input should be greater") for p in problems)
    assert "DEBUG must be off with ENV=production" in problems
    assert any(p.startswith("BASIC_AUTH_USERS still has") for p in problems)
    assert any(p.startswith("GARDEN_KEY still has") for p in problems)
    assert str(raised.value).startswith(f"{len(problems)} problems with the settings:")


def test_secrets_are_never_echoed() -> None:
    with pytest.raises(ConfigError) as raised:
        create_app({"BASIC_AUTH_USERS": {"alice": "hunter2-plain"}, "DEBUG": "yes"})
    message = str(raised.value)
    assert "BASIC_AUTH_USERS" in message
    assert "hunter2" not in message
    assert "(got 'yes')" in message  # other values are shown, to help


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
        ({"PROXY_TRUSTED_HOPS": -1}, "PROXY_TRUSTED_HOPS"),
        ({"ACCESS_LOG": "stderr"}, "ACCESS_LOG"),
        ({"ACCESS_LOG": False}, "ACCESS_LOG"),
        ({"READY_TIMEOUT": 0}, "READY_TIMEOUT"),
        ({"DATABASE_SCHEMA": "a; DROP TABLE x"}, "DATABASE_SCHEMA"),
        ({"DATABASE_URL": 5}, "DATABASE_URL"),
        ({"WS_MAX_MESSAGE_SIZE": 0}, "WS_MAX_MESSAGE_SIZE"),
        ({"WS_IDLE_TIMEOUT": -1}, "WS_IDLE_TIMEOUT"),
    ],
)
def test_invalid_settings_stop_the_start(override: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        create_app(override)


@pytest.mark.parametrize(
    ("variable", "raw"),
    [("APP_BASIC_AUTH_USERS", "{not json"), ("APP_MAX_CONTENT_LENGTH", "lots")],
)
def test_a_variable_that_cannot_be_read_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, variable: str, raw: str
) -> None:
    monkeypatch.setenv(variable, raw)
    with pytest.raises(ConfigError, match=variable.removeprefix("APP_")):
        create_app()


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


def _core_settings() -> list[type[Settings]]:
    return list(SETTINGS)


def test_production_names_its_hosts() -> None:
    with pytest.raises(ConfigError, match="TRUSTED_HOSTS still has its development"):
        load(
            _core_settings(),
            {k: v for k, v in PRODUCTION.items() if k != "TRUSTED_HOSTS"},
        )


def test_production_refuses_any_hash_of_the_development_password() -> None:
    fresh = {"ops": generate_password_hash("password", method="pbkdf2:sha256:1000")}
    with pytest.raises(ConfigError, match="ops's password is the development one"):
        load(_core_settings(), {**PRODUCTION, "BASIC_AUTH_USERS": fresh})
