"""hypercorn.toml: every key is one Hypercorn knows, and each is explained.

Hypercorn sets unknown keys as plain attributes without a word, so a typo
such as ``keep_alive_timout`` would silently do nothing.
"""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path

from hypercorn.config import Config

from app.core.websockets import WebSocketSettings

FILE = Path(__file__).resolve().parents[2] / "hypercorn.toml"


def test_every_key_is_a_hypercorn_setting() -> None:
    settings = tomllib.loads(FILE.read_text())
    known = {name for name in dir(Config) if not name.startswith("_")}
    assert set(settings) - known == set()


def test_every_setting_has_a_comment_above_it() -> None:
    lines = FILE.read_text().splitlines()
    for previous, line in itertools.pairwise(lines):
        if line and not line.startswith("#"):
            assert previous.startswith("#"), f"no comment above: {line}"
        if line.startswith("["):
            break  # the logging table is explained by the comment above it


def test_the_file_loads_and_binds_loopback() -> None:
    config = Config.from_toml(FILE)
    assert config.bind == ["127.0.0.1:5000"]
    assert not config.accesslog  # the app writes the access log
    assert config.graceful_timeout > 0
    assert config.logconfig_dict is not None
    assert set(config.logconfig_dict["loggers"]) == {"app", "hypercorn.error"}


def test_the_server_limits_match_the_apps() -> None:
    config = Config.from_toml(FILE)
    app = WebSocketSettings()
    # Hypercorn must not assemble a message the app would refuse anyway.
    assert config.websocket_max_message_size == app.WS_MAX_MESSAGE_SIZE
    # Silent clients are the app's to close (1001), not read_timeout's.
    assert config.read_timeout is not None
    assert config.read_timeout > app.WS_IDLE_TIMEOUT
    # Longer than the idle expiry of common clients and balancers (60 s).
    assert config.keep_alive_timeout > 60
    assert config.include_server_header is False


def test_a_burst_of_connections_is_queued_not_dropped() -> None:
    # The stress suite's 1,000 idle connections made a /healthz probe wait 1 s
    # for its SYN to be retried with Hypercorn's default backlog of 100.
    assert Config.from_toml(FILE).backlog >= 1024


def test_workers_run_uvloop() -> None:
    # asyncio's workers do not share a socket's connections (docs/benchmark.md).
    assert Config.from_toml(FILE).worker_class == "uvloop"
