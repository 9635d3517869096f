"""``make seed``: the sample files load once, through the service."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from app.core import database as db
from app.samples.addressbook.seed import main
from app.samples.addressbook.service import AddressBook

SAMPLES = sorted((Path(__file__).parents[1] / "data").glob("*.json"))


async def _names(settings: dict[str, Any]) -> list[str]:
    app = create_app({"TESTING": True, **settings})
    async with db.connected(app) as opened:
        page = await AddressBook(opened).page(limit=500)
    return [item.entry["full_name"] for item in page.items]


def test_samples_load_once(
    database: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in database.items():
        monkeypatch.setenv(f"APP_{key}", value)
    assert len(SAMPLES) >= 3
    assert main([str(path) for path in SAMPLES]) == 0
    assert main([str(path) for path in SAMPLES]) == 0  # a second run adds nothing
    names = asyncio.run(_names(database))
    assert sorted(names) == ["Ada Lovelace", "Bill Gates", "Grace Hopper"]


def test_an_invalid_file_fails_and_adds_nothing(
    database: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key, value in database.items():
        monkeypatch.setenv(f"APP_{key}", value)
    bad = tmp_path / "bad.json"
    bad.write_text('{"full_name": "Bob", "age": 40}')
    assert main([str(SAMPLES[0]), str(bad)]) == 1
    assert asyncio.run(_names(database)) == []
