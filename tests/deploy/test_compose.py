"""compose.yaml and docs/production.md name every setting production requires.

Both follow the installed features: a feature whose secret production needs
adds it to both (``make strip-samples`` removes the samples' lines).
"""

from __future__ import annotations

import re
from typing import Any, Final

import pytest
import yaml

from tests.support.live import ROOT, shipped
from tests.support.production import required_settings

COMPOSE: Final = ROOT / "compose.yaml"
PRODUCTION_DOCS: Final = ROOT / "docs" / "production.md"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services


def test_migrations_run_once_before_the_app(services: dict[str, Any]) -> None:
    assert services["migrate"]["command"][:3] == ["python", "-m", "app.core.migrations"]
    assert services["app"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }


@pytest.mark.parametrize("service", ["migrate", "app"])
def test_every_required_setting_is_passed(
    services: dict[str, Any], service: str
) -> None:
    environment = services[service]["environment"]
    assert {f"APP_{name}" for name in required_settings()} <= environment.keys()


def test_in_flight_requests_finish_before_the_kill(services: dict[str, Any]) -> None:
    grace = re.fullmatch(r"(\d+)s", services["app"]["stop_grace_period"])
    assert grace is not None
    assert int(grace[1]) > shipped("graceful_timeout")


def test_the_docs_list_every_required_setting() -> None:
    text = PRODUCTION_DOCS.read_text()
    for name in required_settings():
        assert f"APP_{name}" in text, name
