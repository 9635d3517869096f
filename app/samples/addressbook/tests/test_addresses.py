"""/addresses over HTTP: the tutorial's lifecycle, pages, ETags and bad input.

Each test runs on SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set
(see the ``database`` fixture).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypercorn.typing import (
    ASGIReceiveEvent,
    ASGISendEvent,
    HTTPDisconnectEvent,
    HTTPRequestEvent,
)
from quart import Quart
from quart.testing.utils import make_test_scope
from quart.typing import TestClientProtocol as _Client
from sqlalchemy import event
from werkzeug.datastructures import Headers

BILL = {"full_name": "Bill Gates"}
ADA = {
    "full_name": "Ada Lovelace",
    "addresses": [
        {
            "kind": "home",
            "street": "12 St James's Square",
            "city": "London",
            "postcode": "SW1Y 4JH",
            "country": "GB",
        }
    ],
    "phones": [{"kind": "home", "number": "+44 20 7946 0000"}],
    "emails": [{"kind": "work", "email": "ada@example.org"}],
}
EMPTY_LISTS: dict[str, list[Any]] = {"addresses": [], "phones": [], "emails": []}


@pytest.fixture
def config(database: dict[str, Any]) -> dict[str, Any]:
    return {"TESTING": True, **database}


async def _create(client: _Client, entry: dict[str, Any]) -> str:
    response = await client.post("/addresses", json=entry)
    assert response.status_code == 201, await response.get_data()
    return str(response.headers["Location"])


async def test_tutorial_lifecycle(client: _Client) -> None:
    assert await (await client.get("/addresses")).get_json() == {}

    created = await client.post("/addresses", json=BILL)
    assert created.status_code == 201
    location = created.headers["Location"]
    body = await created.get_json()
    assert location == f"/addresses/{body['id']}"
    assert body == {"id": body["id"], **BILL, **EMPTY_LISTS}

    bad_json = await client.post("/addresses", data="{not json", headers=_JSON)
    assert bad_json.status_code == 400
    assert (await bad_json.get_json())["message"] == "Invalid JSON body"
    invalid = await client.post("/addresses", json={"full_name": ""})
    assert invalid.status_code == 422

    got = await client.get(location)
    assert got.status_code == 200
    assert await got.get_json() == {**BILL, **EMPTY_LISTS}
    assert (await client.get("/addresses/999999")).status_code == 404

    updated = await client.put(location, json=ADA)
    assert updated.status_code == 204
    assert await updated.get_data() == b""
    assert await (await client.get(location)).get_json() == ADA

    assert (await client.put(location, data="[", headers=_JSON)).status_code == 400
    assert (await client.put("/addresses/999999", json=ADA)).status_code == 404

    deleted = await client.delete(location)
    assert deleted.status_code == 204
    assert (await client.get(location)).status_code == 404
    assert (await client.delete(location)).status_code == 404
    assert await (await client.get("/addresses")).get_json() == {}


_JSON = {"Content-Type": "application/json"}


async def test_errors_carry_method_and_uri(client: _Client) -> None:
    response = await client.get("/addresses/424242?x=1")
    assert response.status_code == 404
    body = await response.get_json()
    assert body["method"] == "GET"
    assert body["uri"] == "/addresses/424242?x=1"
    assert body["code"] == 404
    assert body["name"] == "Not Found"
    assert body["message"] == "There is no entry 424242."
    assert body["request_id"] == response.headers["X-Request-ID"]


async def test_invalid_entry_names_each_field(client: _Client) -> None:
    entry = {
        "full_name": "x" * 201,
        "nickname": "Billy",
        "phones": [{"kind": "mobile", "number": "call me"}],
    }
    response = await client.post("/addresses", json=entry)
    assert response.status_code == 422
    body = await response.get_json()
    fields = [error["field"] for error in body["errors"]]
    assert set(fields) == {"full_name", "nickname", "phones.0.kind", "phones.0.number"}
    assert body["message"].startswith("Invalid fields: ")
    assert body["method"] == "POST"
    assert body["uri"] == "/addresses"


async def test_body_that_is_not_json_typed_is_a_400(client: _Client) -> None:
    response = await client.post("/addresses", data='{"full_name": "Bill Gates"}')
    assert response.status_code == 400
    assert (await response.get_json())["message"] == "Invalid JSON body"


async def test_list_is_ordered_and_paginated(client: _Client) -> None:
    names = [f"Person {n}" for n in range(5)]
    ids = [
        (await _create(client, {"full_name": name})).rsplit("/", 1)[1] for name in names
    ]

    first = await client.get("/addresses?limit=2")
    assert first.status_code == 200
    assert list(await first.get_json()) == ids[:2]
    assert first.headers["Link"] == f'</addresses?limit=2&after={ids[1]}>; rel="next"'

    second = await client.get(f"/addresses?limit=2&after={ids[1]}")
    assert list(await second.get_json()) == ids[2:4]
    last = await client.get(f"/addresses?limit=2&after={ids[3]}")
    page = await last.get_json()
    assert list(page) == ids[4:]
    assert page[ids[4]] == {"full_name": "Person 4", **EMPTY_LISTS}
    assert "Link" not in last.headers


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=x", "after=-1"])
async def test_bad_page_parameters_are_422(client: _Client, query: str) -> None:
    response = await client.get(f"/addresses?{query}")
    assert response.status_code == 422
    assert (await response.get_json())["errors"][0]["field"] in ("limit", "after")


async def test_default_page_is_fifty(client: _Client) -> None:
    for n in range(51):
        await _create(client, {"full_name": f"P{n}"})
    response = await client.get("/addresses")
    assert len(await response.get_json()) == 50
    assert "Link" in response.headers
    assert len(await (await client.get("/addresses?limit=500")).get_json()) == 51


async def test_etag_guards_updates(client: _Client) -> None:
    location = await _create(client, BILL)
    etag = (await client.get(location)).headers["ETag"]

    first = await client.put(location, json=ADA, headers={"If-Match": etag})
    assert first.status_code == 204
    assert first.headers["ETag"] != etag
    stale = await client.put(location, json=BILL, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert (await stale.get_json())["method"] == "PUT"
    assert await (await client.get(location)).get_json() == ADA

    current = (await client.get(location)).headers["ETag"]
    assert current == first.headers["ETag"]
    weak = await client.put(location, json=BILL, headers={"If-Match": f"W/{current}"})
    assert weak.status_code == 412
    star = await client.put(location, json=BILL, headers={"If-Match": "*"})
    assert star.status_code == 204


async def test_if_match_on_a_missing_entry_is_404(client: _Client) -> None:
    response = await client.put("/addresses/77", json=BILL, headers={"If-Match": '"1"'})
    assert response.status_code == 404


async def test_entry_can_be_read_as_yaml(client: _Client) -> None:
    location = await _create(client, BILL)
    response = await client.get(location, headers={"Accept": "application/x-yaml"})
    assert response.headers["Content-Type"] == "application/x-yaml"
    text = await response.get_data(as_text=True)
    assert text.startswith("full_name: Bill Gates\n")


async def test_resource_is_in_the_openapi_document(client: _Client) -> None:
    document = await (await client.get("/openapi.json")).get_json()
    paths = document["paths"]
    assert set(paths["/addresses"]) >= {"get", "post"}
    assert set(paths["/addresses/{address_id}"]) >= {"get", "put", "delete"}
    body = paths["/addresses"]["post"]["requestBody"]["content"]["application/json"]
    entry = body["schema"]
    assert entry["required"] == ["full_name"]
    assert entry["additionalProperties"] is False
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "swagger-ui" in await docs.get_data(as_text=True)


PHONE = '{"kind": "home", "number": "+1 555 0100"}'
NESTED_EXTRA = '{"kind": "home", "email": "a@b.c", "primary": true}'
BAD_EMAIL = '{"kind": "home", "email": "a"}'

BAD_BODIES: list[tuple[str, bytes | str, int]] = [
    ("wrong type for the name", '{"full_name": 42}', 422),
    ("null name", '{"full_name": null}', 422),
    ("list instead of object", '["Bill Gates"]', 422),
    ("phones not a list", '{"full_name": "B", "phones": "555"}', 422),
    ("oversize name", '{"full_name": "' + "x" * 201 + '"}', 422),
    ("blank name", '{"full_name": "   "}', 422),
    ("unknown field", '{"full_name": "B", "id": 9}', 422),
    ("unknown nested field", f'{{"full_name": "B", "emails": [{NESTED_EXTRA}]}}', 422),
    ("bad email", f'{{"full_name": "B", "emails": [{BAD_EMAIL}]}}', 422),
    ("huge list", f'{{"full_name": "B", "phones": [{", ".join([PHONE] * 21)}]}}', 422),
    ("not JSON", "full_name=Bill", 400),
    ("empty body", "", 400),
    ("NaN", '{"full_name": NaN}', 400),
    ("deep nesting", "[" * 100_000 + "]" * 100_000, 400),
    ("not UTF-8", b'{"full_name": "\xff\xfe"}', 400),
    ("over the size limit", '{"full_name": "' + "x" * (1024 * 1024) + '"}', 413),
]


@pytest.mark.parametrize(
    ("body", "status"),
    [pytest.param(body, status, id=name) for name, body, status in BAD_BODIES],
)
async def test_bad_bodies_are_refused_and_change_nothing(
    client: _Client, body: bytes | str, status: int
) -> None:
    location = await _create(client, ADA)
    before = await (await client.get("/addresses")).get_json()
    for response in (
        await client.post("/addresses", data=body, headers=_JSON),
        await client.put(location, data=body, headers=_JSON),
    ):
        assert response.status_code == status
        assert (await response.get_json())["code"] == status
        assert response.headers["Content-Type"] == "application/json"
    assert await (await client.get("/addresses")).get_json() == before


@pytest.mark.parametrize(
    "path",
    [
        "/addresses/..%2F..",
        "/addresses/abc",
        "/addresses/-1",
        "/addresses/1.5",
        "/addresses/%D9%A1",  # an Arabic-Indic digit one
        "/addresses/" + "9" * 40,
        "/addresses/%00",
    ],
)
async def test_ids_that_are_not_ids_are_404(client: _Client, path: str) -> None:
    await _create(client, BILL)
    before = await (await client.get("/addresses")).get_json()
    for response in (
        await client.get(path),
        await client.put(path, json=ADA),
        await client.delete(path),
    ):
        assert response.status_code == 404
        assert (await response.get_json())["code"] == 404
    assert await (await client.get("/addresses")).get_json() == before


@pytest.mark.parametrize(
    ("method", "statement", "expected"),
    [
        ("POST", "INSERT", ["Ada Lovelace", "Ada Lovelace"]),
        ("PUT", "UPDATE", ["Ada Lovelace", "Ada Lovelace"]),
        ("DELETE", "DELETE", ["Ada Lovelace"]),
    ],
)
async def test_client_gone_mid_write_leaves_the_database_whole(
    app: Quart, client: _Client, method: str, statement: str, expected: list[str]
) -> None:
    """Quart cancels a request whose client hangs up; its write still finishes.

    Cancelled halfway, SQLAlchemy abandoned the connection inside its
    transaction: on SQLite every later write then waited 5 s and failed.
    """
    target = await _create(client, BILL) if method != "POST" else "/addresses"
    writing = asyncio.Event()

    def on_execute(*args: Any) -> None:
        if args[2].startswith(statement):  # (connection, cursor, statement, ...)
            writing.set()

    engine = app.extensions["database"].engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    body = json.dumps(ADA).encode()
    requests = iter([HTTPRequestEvent(type="http.request", body=body, more_body=False)])

    async def receive() -> ASGIReceiveEvent:
        if (message := next(requests, None)) is not None:
            return message
        await writing.wait()  # hang up while the statement runs
        return HTTPDisconnectEvent(type="http.disconnect")

    async def send(message: ASGISendEvent) -> None:
        pass

    headers = Headers({"Content-Type": "application/json", "Host": "localhost"})
    scope = make_test_scope(
        "http", target, method, headers, b"", "http", "", "1.1", None
    )
    await app(scope, receive, send)
    event.remove(engine, "before_cursor_execute", on_execute)
    assert writing.is_set()

    assert (await client.post("/addresses", json=ADA)).status_code == 201
    listed = await (await client.get("/addresses")).get_json()
    assert [entry["full_name"] for entry in listed.values()] == expected


@pytest.mark.parametrize(
    "entry",
    [
        {"full_name": "a\u0000b"},
        {**ADA, "emails": [{"kind": "work", "email": "a\u0000b@example.org"}]},
        {"full_name": "Ada", "phones": [{"kind": "home", "number": "+44\udc80"}]},
    ],
)
async def test_text_no_database_stores_is_a_400_on_both(
    client: _Client, entry: dict[str, Any]
) -> None:
    body = json.dumps(entry).encode()  # json escapes them; both databases refuse
    created = await client.post(
        "/addresses", data=body, headers={"Content-Type": "application/json"}
    )
    location = await _create(client, BILL)
    replaced = await client.put(
        location, data=body, headers={"Content-Type": "application/json"}
    )
    for response in (created, replaced):
        assert response.status_code == 400
        assert (
            "NUL character or a lone surrogate"
            in (await response.get_json())["message"]
        )
    assert (await (await client.get(location)).get_json())["full_name"] == "Bill Gates"
