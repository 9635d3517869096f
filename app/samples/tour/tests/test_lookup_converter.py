"""The registered converter in a real app, and url_for building its URLs."""

from __future__ import annotations

from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as _Client


@pytest.mark.parametrize(
    ("path", "name"), [("/api/person/1", "Alice"), ("/api/person/2", "Bob")]
)
async def test_id_becomes_name(client: _Client, path: str, name: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert await response.get_json() == {"Hello": name}


@pytest.mark.parametrize("path", ["/api/person/3", "/api/person/Alice", "/api/person/"])
async def test_unknown_id_is_404(client: _Client, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert (await response.get_json())["code"] == 404


async def test_url_for(client: _Client) -> None:
    response = await client.get("/api/url-for?name=Bob")
    assert await response.get_json() == {"url": "/api/person/2"}


class TestExternal:
    @pytest.fixture
    def config(self) -> dict[str, Any]:
        return {"TESTING": True, "TRUSTED_HOSTS": ["people.example"]}

    async def test_url_for_external_uses_a_trusted_host(self, client: _Client) -> None:
        response = await client.get(
            "/api/url-for?name=Alice&external=1",
            headers={"Host": "people.example:8080"},
        )
        assert await response.get_json() == {
            "url": "http://people.example:8080/api/person/1"
        }

    async def test_url_for_never_reflects_another_host(self, client: _Client) -> None:
        response = await client.get(
            "/api/url-for?name=Alice&external=1", headers={"Host": "evil.example"}
        )
        assert response.status_code == 400


async def test_url_for_unknown_name_is_404(client: _Client) -> None:
    response = await client.get("/api/url-for?name=Mallory")
    assert response.status_code == 404
    assert "Mallory" in (await response.get_json())["message"]


@pytest.mark.parametrize("query", ["", "?name=", "?other=Alice"])
async def test_url_for_without_name_is_400(client: _Client, query: str) -> None:
    response = await client.get(f"/api/url-for{query}")
    assert response.status_code == 400
    assert (await response.get_json())[
        "message"
    ] == "The query parameter 'name' is required."


class TestConfiguredUsers:
    @pytest.fixture
    def config(self) -> dict[str, Any]:
        return {"TESTING": True, "USERS": {"a b?": "Spacey", "9": "Nine"}}

    async def test_users_come_from_config(self, client: _Client) -> None:
        assert await (await client.get("/api/person/9")).get_json() == {"Hello": "Nine"}
        assert (await client.get("/api/person/1")).status_code == 404

    async def test_ids_are_quoted_in_urls(self, client: _Client) -> None:
        response = await client.get("/api/url-for?name=Spacey")
        url = (await response.get_json())["url"]
        assert url == "/api/person/a%20b%3F"
        assert await (await client.get(url)).get_json() == {"Hello": "Spacey"}


async def test_registry_is_replaceable_while_running(
    app: Quart, client: _Client
) -> None:
    app.extensions["converters.registered"].replace({"1": "Carol"})
    assert await (await client.get("/api/person/1")).get_json() == {"Hello": "Carol"}
    assert (await client.get("/api/person/2")).status_code == 404
    assert await (await client.get("/api/url-for?name=Carol")).get_json() == {
        "url": "/api/person/1"
    }
