"""/teams: the book's blueprint, with 404s instead of KeyErrors."""

from __future__ import annotations

from typing import Any

import pytest
from quart.typing import TestClientProtocol as _Client


async def test_all_teams(client: _Client) -> None:
    response = await client.get("/teams")
    assert await response.get_json() == {"1": ["Alice", "Bob"], "2": ["Charles"]}


async def test_one_team_is_a_json_list(client: _Client) -> None:
    response = await client.get("/teams/1")
    assert response.mimetype == "application/json"
    assert await response.get_json() == ["Alice", "Bob"]


@pytest.mark.parametrize("path", ["/teams/3", "/teams/x", "/teams/-1", "/teams/"])
async def test_unknown_team_is_404(client: _Client, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert (await response.get_json())["code"] == 404


class TestConfiguredTeams:
    @pytest.fixture
    def config(self) -> dict[str, Any]:
        return {"TESTING": True, "TEAMS": {"7": ["Gus"]}}

    async def test_teams_come_from_config(self, client: _Client) -> None:
        assert await (await client.get("/teams")).get_json() == {"7": ["Gus"]}
        assert await (await client.get("/teams/7")).get_json() == ["Gus"]
