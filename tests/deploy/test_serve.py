"""``python -m serve``: hypercorn.toml, then production's bind and workers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypercorn.config import Config

from serve import cpus, production_config

FILE = Path(__file__).resolve().parents[2] / "hypercorn.toml"


def test_production_listens_on_every_interface_with_a_worker_per_cpu() -> None:
    config = production_config(FILE, {})
    assert config.bind == ["0.0.0.0:8000"]
    assert config.workers == cpus() >= 1
    assert config.worker_class == "uvloop"
    assert config.application_path == "app.asgi:app"


def test_bind_and_workers_come_from_the_environment() -> None:
    config = production_config(FILE, {"BIND": "0.0.0.0:9000", "WORKERS": "3"})
    assert config.bind == ["0.0.0.0:9000"]
    assert config.workers == 3


@pytest.mark.parametrize(
    "name",
    ["graceful_timeout", "keep_alive_timeout", "read_timeout", "backlog", "accesslog"],
)
def test_everything_else_is_the_files(name: str) -> None:
    assert getattr(production_config(FILE, {}), name) == getattr(
        Config.from_toml(FILE), name
    )


def test_a_bad_worker_count_stops_it() -> None:
    with pytest.raises(ValueError, match="invalid literal"):
        production_config(FILE, {"WORKERS": "many"})
