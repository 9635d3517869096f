"""Mixed read/write load on the address book, and the read-back that checks it.

``Load`` runs ``connections`` workers in this process, each on a connection of
one ``httpx.AsyncClient``, until told to stop. Each worker mixes creates,
reads of its own entries, pages, deletes of its own entries, and updates of
a few contended entries: read the ``ETag``, then ``PUT`` with ``If-Match``,
so that workers holding the same version race. Every write carries a marker
unique to it in ``full_name``. Each request is counted by operation: its
status, or the transport error that replaced it, and its latency.

``Load.reconcile(rows)`` then compares what each client was told with what
the database holds (``rows``: every ``(id, full_name, version)``): a write
acknowledged but absent is lost, a marker stored twice is duplicated, a
write stored without its client getting an answer was executed without a
response, and each version of a contended entry must have exactly one
acknowledged winner (``ledger.py`` does the comparing).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from app.samples.addressbook.tests.ledger import (
    Create,
    Delete,
    Reconciled,
    Update,
    reconcile,
)
from tests.bench import BenchError

OPERATIONS: Final = ("create", "read", "page", "update", "delete")
WEIGHTS: Final = (30, 25, 10, 25, 10)
CONTENDED: Final = 5  # entries that every worker updates
REQUEST_TIMEOUT_S: Final = 30.0


@dataclass
class Tally:
    """One operation's outcomes: statuses, transport errors, latencies."""

    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Answer:
    """A response's status and JSON body, or the transport error instead."""

    status: int | None
    body: Any = None
    etag: str = ""
    error: str = ""
    refused: bool = False  # no connection was made: the request never left


class Load:
    """Workers on the address book at ``url``, all writes marked with ``tag``."""

    def __init__(self, url: str, connections: int, tag: str) -> None:
        self.url = url
        self.connections = connections
        self.tag = tag
        self.tallies: defaultdict[str, Tally] = defaultdict(Tally)
        self.creates: list[Create] = []
        self.updates: list[Update] = []
        self.deletes: list[Delete] = []
        self.wrong_reads: list[str] = []
        self.contended: list[int] = []

    async def run(self, stop: asyncio.Event) -> None:
        """Seed the contended entries, then load until ``stop`` is set."""
        limits = httpx.Limits(
            max_connections=self.connections, max_keepalive_connections=None
        )
        async with httpx.AsyncClient(
            base_url=self.url, limits=limits, timeout=REQUEST_TIMEOUT_S
        ) as client:
            for number in range(CONTENDED):
                entry = {"full_name": f"{self.tag}-contended-{number}"}
                seeded = await self._call(client, "seed", "POST", "/addresses", entry)
                if seeded.status != 201:
                    raise BenchError(f"POST /addresses answered {seeded.status}")
                self.contended.append(seeded.body["id"])
            await asyncio.gather(
                *(self._worker(client, n, stop) for n in range(self.connections))
            )

    def reconcile(self, rows: list[tuple[Any, ...]]) -> Reconciled:
        """Compare what the clients were told with ``rows`` from the database."""
        return reconcile(
            self.tag, self.creates, self.updates, self.deletes, self.contended, rows
        )

    async def _worker(
        self, client: httpx.AsyncClient, number: int, stop: asyncio.Event
    ) -> None:
        rng = random.Random(number)
        mine: list[tuple[int, str]] = []  # acknowledged, not deleted: (id, marker)
        for count in itertools.count():
            if stop.is_set():
                return
            operation = rng.choices(OPERATIONS, WEIGHTS)[0]
            if operation in ("read", "delete") and not mine:
                operation = "create"
            marker = f"{self.tag}-{number}-{count}"
            if operation == "create":
                await self._create(client, marker, mine)
            elif operation == "read":
                await self._read(client, rng.choice(mine))
            elif operation == "page":
                after = rng.randrange(max((i for i, _ in mine), default=0) + 1)
                await self._call(client, "page", "GET", f"/addresses?after={after}")
            elif operation == "update":
                await self._update(client, rng.choice(self.contended), marker)
            else:
                entry, old = mine.pop(rng.randrange(len(mine)))
                answer = await self._call(client, "delete", "DELETE", _path(entry))
                self.deletes.append(
                    Delete(entry, old, answer.status, answer.refused, answer.error)
                )

    async def _create(
        self, client: httpx.AsyncClient, marker: str, mine: list[tuple[int, str]]
    ) -> None:
        entry = {"full_name": marker, "emails": [{"kind": "work", "email": "a@b.cd"}]}
        answer = await self._call(client, "create", "POST", "/addresses", entry)
        created = answer.body["id"] if answer.status == 201 else None
        self.creates.append(
            Create(marker, answer.status, answer.refused, answer.error, created)
        )
        if created is not None:
            mine.append((created, marker))

    async def _read(self, client: httpx.AsyncClient, own: tuple[int, str]) -> None:
        entry, marker = own
        answer = await self._call(client, "read", "GET", _path(entry))
        if answer.status == 404 or (
            answer.status == 200 and answer.body.get("full_name") != marker
        ):
            self.wrong_reads.append(f"GET {_path(entry)} of {marker}: {answer.status}")

    async def _update(self, client: httpx.AsyncClient, entry: int, marker: str) -> None:
        read = await self._call(client, "read contended", "GET", _path(entry))
        if read.status != 200:
            return
        answer = await self._call(
            client,
            "update If-Match",
            "PUT",
            _path(entry),
            {"full_name": marker},
            {"If-Match": read.etag},
        )
        self.updates.append(
            Update(
                entry,
                int(read.etag.strip('"')),
                marker,
                answer.status,
                answer.refused,
                answer.error,
            )
        )

    async def _call(
        self,
        client: httpx.AsyncClient,
        operation: str,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        tally = self.tallies[operation]
        sent = time.perf_counter()
        try:
            response = await client.request(method, path, json=body, headers=headers)
        except httpx.TransportError as error:
            tally.errors[type(error).__name__] += 1
            refused = isinstance(error, httpx.ConnectError)
            return Answer(None, error=type(error).__name__, refused=refused)
        tally.latencies_ms.append((time.perf_counter() - sent) * 1000)
        tally.statuses[response.status_code] += 1
        try:
            data = response.json() if response.content else None
        except ValueError:
            data = None
        return Answer(response.status_code, data, response.headers.get("etag", ""))


def _path(entry: int) -> str:
    return f"/addresses/{entry}"
