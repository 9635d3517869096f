"""Settings: each part of the service declares its own; ``load`` reads them all.

A part (a core module, a sample, a feature of yours) declares a ``Settings``
subclass next to its code: upper-case fields with their defaults and
validation. ``create_app`` loads every installed part's class; each value
comes from, in order of precedence (pydantic-settings does the merging):

1. the mapping given to ``create_app()``, which wins, so tests stay sealed
   from the developer's shell;
2. environment variables ``APP_<NAME>`` (``APP_DEBUG=true``; lists and
   mappings as JSON: ``APP_ALLOWED_ORIGINS='["http://a:1"]'``);
3. the file that ``APP_CONFIG_FILE`` names (``.toml``, ``.yaml``/``.yml`` or
   ``.json``, chosen by extension);
4. the field's default.

The result is checked before the app is built, and every problem is reported
at once in one ``ConfigError``: a wrong value, a key that no installed part
declares (a typo in ``APP_*``, in the file or in the mapping), and, with
``ENV = "production"``, every setting marked ``SetInProduction()`` or
``Secret(required_in_production=True)`` that still has its development
default, and what a part's ``production_problems`` finds. Secrets are never
echoed.
Quart's own settings (``BODY_TIMEOUT``, say) pass through unchecked.
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import AfterValidator, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    JsonConfigSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
    YamlConfigSettingsSource,
)
from quart import Quart

PREFIX: Final = "APP_"
FILE_VARIABLE: Final = "APP_CONFIG_FILE"

FileSource = Callable[[type[BaseSettings], Path], PydanticBaseSettingsSource]
_FILE_SOURCES: Final[Mapping[str, FileSource]] = {
    ".toml": lambda cls, path: TomlConfigSettingsSource(cls, toml_file=path),
    ".yaml": lambda cls, path: YamlConfigSettingsSource(cls, yaml_file=path),
    ".yml": lambda cls, path: YamlConfigSettingsSource(cls, yaml_file=path),
    ".json": lambda cls, path: JsonConfigSettingsSource(cls, json_file=path),
}
_FILE_READERS: Final[Mapping[str, Callable[[bytes], Any]]] = {
    ".toml": lambda data: tomllib.loads(data.decode()),
    ".yaml": yaml.safe_load,
    ".yml": yaml.safe_load,
    ".json": json.loads,
}


class ConfigError(ValueError):
    """The configuration cannot be used; the message names every problem."""

    def __init__(self, *problems: str) -> None:
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            lines = "".join(f"\n  - {problem}" for problem in self.problems)
            message = f"{len(self.problems)} problems with the settings:{lines}"
        super().__init__(message)


@dataclass(frozen=True)
class Secret:
    """Field marker: never echo the value; optionally, production must set it."""

    required_in_production: bool = False


@dataclass(frozen=True)
class SetInProduction:
    """Field marker: production must not keep the development default."""


class Settings(BaseSettings):
    """Base of every part's settings: ``APP_`` variables, the file, strict types."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        case_sensitive=True,
        extra="ignore",  # other parts' keys; unknown ones are caught by ``load``
        strict=True,
        env_parse_none_str="null",
        frozen=True,
    )

    def production_problems(self) -> list[str]:
        """What makes these settings unfit for production; a part may add checks."""
        return []

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The mapping, then ``APP_*`` variables, then the config file."""
        sources = [init_settings, env_settings]
        if path := os.environ.get(FILE_VARIABLE):
            sources.append(_FILE_SOURCES[Path(path).suffix.lower()](cls, Path(path)))
        return tuple(sources)


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host")
    return value


HttpURL = Annotated[str, AfterValidator(_http_url)]
Seconds = Annotated[float, Field(gt=0)]
Count = Annotated[int, Field(ge=1)]


class AppSettings(Settings):
    """What every app has: its environment, debug, body limit, proxies."""

    ENV: Literal["development", "production"] = "development"
    DEBUG: bool = False  # adds a trace to 500 bodies; refused in production
    TESTING: bool = False
    # Quart's signing key, for cookie sessions and the like; the kit uses none.
    SECRET_KEY: Annotated[str | None, Secret(), Field(min_length=16)] = None
    # Quart reads this for every request body: 1 MiB, then 413.
    MAX_CONTENT_LENGTH: Count = 1024 * 1024
    # Even in debug mode a missing form key stays a 400, never a 500.
    TRAP_BAD_REQUEST_ERRORS: bool = False
    # How many proxies in front set X-Forwarded-For, -Proto, -Host and
    # -Prefix; 0 ignores those headers (app.core.proxy).
    PROXY_TRUSTED_HOPS: Annotated[int, Field(ge=0)] = 0


class DatabaseSettings(Settings):
    """Which database, its pool of connections, and how long SQLite writes wait.

    Declared here rather than in ``app.core.database``, so that a service
    whose features keep no data never imports SQLAlchemy.
    """

    # None: SQLite in the git-ignored instance folder. Or a URL such as
    # postgresql://user@host/db; the async driver is chosen for you.
    DATABASE_URL: Annotated[str | None, Field(min_length=1)] = None
    # PostgreSQL only: keep the tables in this schema (search_path). It goes
    # into search_path and DDL, so only plain identifiers are allowed.
    DATABASE_SCHEMA: Annotated[
        str | None, Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    ] = None
    # SQLite only: how long a write waits for another writer before it gives
    # up and the request gets a 503.
    DATABASE_BUSY_TIMEOUT: Seconds = 5.0
    # PostgreSQL only: connections each engine (writes, reads) keeps open per
    # process, and never more: a unit of work beyond them waits for one
    # (then a 503 after SQLAlchemy's 30 s). Keep workers x 2 x this under
    # the server's max_connections.
    DATABASE_POOL_SIZE: Annotated[int, Field(ge=1)] = 10


class CacheSettings(Settings):
    """Where the response cache keeps answers (``app.core.cache``), and for how long.

    Declared here rather than in ``app.core.cache``, so that a service that
    caches nothing never imports redis-py.
    """

    # None: a store in each process. Or redis://host:6379/0 (rediss:// for
    # TLS), shared by every worker.
    REDIS_URL: Annotated[
        str | None, Secret(), Field(pattern=r"^(redis|rediss|unix)://")
    ] = None
    # How long an answer stays cached.
    CACHE_TTL: Seconds = 300.0
    # The in-process store only: bytes of answers kept per process.
    CACHE_MAX_BYTES: Count = 64 * 1024 * 1024
    # Redis only: a call that takes longer is a skipped cache, not a slow request.
    CACHE_TIMEOUT: Seconds = 0.25


def load(
    classes: Sequence[type[Settings]], overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Every setting of ``classes``, from every layer; ``ConfigError`` if one is bad."""
    overrides = dict(overrides or {})
    declared = {name: cls for cls in classes for name in cls.model_fields}
    file_data = _read_file()
    environ = {
        name.removeprefix(PREFIX): raw
        for name, raw in os.environ.items()
        if name.startswith(PREFIX) and name != FILE_VARIABLE
    }
    problems = [
        *_unknown(file_data, declared, f"{FILE_VARIABLE} names {{key}}", ""),
        *_unknown(environ, declared, f"{PREFIX}{{key}}", PREFIX),
        *_unknown(overrides, declared, "create_app() got {key}", ""),
    ]
    config: dict[str, Any] = {}
    loaded: list[Settings] = []
    for cls in classes:
        mine = {
            key: value for key, value in overrides.items() if key in cls.model_fields
        }
        try:
            settings = cls(**mine)
        except ValidationError as error:
            problems += _describe(cls, error)
        except SettingsError as error:  # a variable that is not valid JSON
            problems.append(str(error).replace('"', ""))
        else:
            loaded.append(settings)
            config.update(settings.model_dump())
    layers = (overrides, {k: _json_or_text(v) for k, v in environ.items()}, file_data)
    if _first(layers, "ENV", config.get("ENV")) == "production":
        problems += _production_problems(classes, layers)
        for settings in loaded:
            problems += settings.production_problems()
    if problems:
        raise ConfigError(*problems)
    # Quart's own settings that no part declares go in as given (env: JSON).
    for key in Quart.default_config.keys() - declared.keys():
        if key in overrides:
            config[key] = overrides[key]
        elif key in environ:
            config[key] = _json_or_text(environ[key])
        elif key in file_data:
            config[key] = file_data[key]
    return config


def _read_file() -> dict[str, Any]:
    """The config file's settings, read once here to check its keys."""
    if not (raw := os.environ.get(FILE_VARIABLE)):
        return {}
    path = Path(raw)
    reader = _FILE_READERS.get(path.suffix.lower())
    if reader is None:
        raise ConfigError(f"{FILE_VARIABLE}: {path} is not .toml, .yaml, .yml or .json")
    try:
        data = reader(path.read_bytes())
    except OSError as error:
        raise ConfigError(f"{FILE_VARIABLE}: cannot read {path}: {error}") from None
    except (ValueError, yaml.YAMLError) as error:
        reason = str(error).replace("\n", " ")
        raise ConfigError(f"{FILE_VARIABLE}: {path} is not valid: {reason}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{FILE_VARIABLE}: {path} must hold a mapping of settings")
    return data


def _unknown(
    given: Iterable[str], declared: Mapping[str, object], where: str, prefix: str
) -> list[str]:
    known = declared.keys() | Quart.default_config.keys()
    problems = []
    for key in given:
        if key in known:
            continue
        problem = f"{where.format(key=key)}, which no installed part declares"
        if close := difflib.get_close_matches(key, known, n=1):
            problem += f" (did you mean {prefix}{close[0]}?)"
        problems.append(problem)
    return problems


def _is_secret(cls: type[Settings], name: str) -> Secret | None:
    field = cls.model_fields.get(name)
    markers = [m for m in field.metadata if isinstance(m, Secret)] if field else []
    return markers[0] if markers else None


def _describe(cls: type[Settings], error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors(include_url=False):
        name = str(item["loc"][0]) if item["loc"] else cls.__name__
        where = ".".join(map(str, item["loc"]))
        shown = "" if _is_secret(cls, name) else f" (got {item['input']!r:.100})"
        problems.append(f"{where}: {item['msg']}{shown}")
    return problems


def _production_problems(
    classes: Sequence[type[Settings]], layers: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Debug on, and each secret production needs still at its default.

    Read from the layers rather than from validated settings, so that a part
    with another invalid setting has its secrets reported too.
    """
    problems = []
    if _first(layers, "DEBUG", False) is True:
        problems.append("DEBUG must be off with ENV=production")
    for cls in classes:
        for name, field in cls.model_fields.items():
            marker = _is_secret(cls, name)
            required = marker and marker.required_in_production
            if not (
                required or any(isinstance(m, SetInProduction) for m in field.metadata)
            ):
                continue
            default = field.get_default(call_default_factory=True)
            if _first(layers, name, default) == default:
                problems.append(
                    f"{name} still has its development default; set "
                    f"{PREFIX}{name} (or put it in the config file) before "
                    "running with ENV=production"
                )
    return problems


def _first(layers: Sequence[Mapping[str, Any]], key: str, default: Any) -> Any:
    """The value of ``key`` in the first layer that has it."""
    return next((layer[key] for layer in layers if key in layer), default)


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw
