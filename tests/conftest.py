"""The core's tests run on the kit's app plus the test-only probe blueprint.

They never call a feature's URL, so they pass unchanged with every sample
stripped. The shared fixtures come from ``tests.support.fixtures``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from quart import Quart

from tests.support.live import Server, migrated_copy
from tests.support.probe import PROBE_APP, create_probe_app


@pytest.fixture
async def app(config: dict[str, Any], tmp_path: Path) -> AsyncIterator[Quart]:
    """A new probe app, started, on a migrated SQLite file of its own."""
    if "DATABASE_URL" not in config:
        config = {"DATABASE_URL": migrated_copy(tmp_path / "app.db"), **config}
    app = create_probe_app(config)
    async with app.test_app():
        yield app


@pytest.fixture(scope="session")
def probe_server() -> Iterator[Server]:
    """One real server of the probe app, shared by read-only tests."""
    live = Server(target=PROBE_APP).start()
    yield live
    live.stop()
