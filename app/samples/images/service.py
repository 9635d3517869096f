"""The images service: store an upload, list, read, delete, and make thumbnails.

It knows nothing about HTTP: it takes bytes, hands back ``Stored`` images
and file paths, and raises ``app.core.domain`` errors and ``processing``'s.
Pillow's work and every disk call run in the sample's worker threads
(``IMAGES_WORKERS``), never on the event loop.

What is stored when: an upload's row is committed ``pending``, then its
file is written whole (``files``), then the row is made ``ready``; a delete
marks the row ``deleting``, removes the files, then the row. So a listed
image always has its whole file, and a crash in between leaves a row that
names its files, which ``sweep`` removes at the next start. Files are only
ever removed by name from a row of this database: a folder shared by
mistake (two databases, the tests) loses nothing that another one owns.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final, ParamSpec, TypeVar
from uuid import UUID, uuid4

from app.core.database import Database, unit_of_work
from app.core.domain import NotFoundError
from app.core.timestamps import utc_now
from app.samples.images import processing
from app.samples.images.files import Files
from app.samples.images.storage import Image, ImageStore
from converters.size import Size

P = ParamSpec("P")
T = TypeVar("T")

MAX_PAGE: Final = 100


@dataclass(frozen=True)
class Stored:
    """An image as stored: its id, size, ETag and when it was stored."""

    id: UUID
    size: Size
    etag: str
    modified: datetime
    thumbnails: list[Size]


@dataclass(frozen=True)
class Page:
    """Images, newest first, and whether more follow the last one."""

    items: list[Stored]
    more: bool


@dataclass(frozen=True)
class Limits:
    """How large an upload may be, and the smallest thumbnail."""

    max_pixels: int
    min_thumbnail: int


class Images:
    """Images kept in ``database`` (their rows) and ``files`` (their JPEGs)."""

    def __init__(
        self,
        database: Database,
        files: Files,
        limits: Limits,
        threads: ThreadPoolExecutor,
    ) -> None:
        self.database = database
        self.files = files
        self.limits = limits
        self.threads = threads

    @unit_of_work
    async def add(self, data: bytes) -> Stored:
        """Convert and store an upload; ``processing``'s errors if it is no image."""
        converted = await self._run(processing.convert, data, self.limits.max_pixels)
        image_id = uuid4()
        etag = hashlib.sha256(converted.jpeg).hexdigest()[:32]
        async with self.database.engine.begin() as connection:
            await ImageStore(connection).insert(
                image_id, converted.size, len(converted.jpeg), etag, utc_now()
            )
        try:
            await self._run(
                self.files.write, self.files.image(image_id), converted.jpeg
            )
            async with self.database.engine.begin() as connection:
                row = await ImageStore(connection).ready(image_id)
        except BaseException:
            await self._forget(image_id)
            raise
        return self._stored(row)

    @unit_of_work
    async def get(self, image_id: UUID) -> Stored:
        """The image with this id; ``NotFoundError`` if there is none."""
        row = await ImageStore(self.database.reads).get(image_id)
        if row is None:
            raise _not_found(image_id)
        return self._stored(row)

    @unit_of_work
    async def page(self, limit: int = 20, before: UUID | None = None) -> Page:
        """Up to ``limit`` (1 to ``MAX_PAGE``) images newest first, after ``before``."""
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be 1 to {MAX_PAGE}, not {limit}")
        rows = await ImageStore(self.database.reads).page(before, limit + 1)
        return Page([self._stored(row) for row in rows[:limit]], more=len(rows) > limit)

    @unit_of_work
    async def delete(self, image_id: UUID) -> None:
        """Remove the image, its thumbnails and its row; ``NotFoundError`` if none."""
        async with self.database.engine.begin() as connection:
            if not await ImageStore(connection).deleting(image_id, utc_now()):
                raise _not_found(image_id)
        await self._forget(image_id)

    async def file(self, image_id: UUID) -> tuple[Stored, Path]:
        """The image and where its JPEG is; ``NotFoundError`` if there is none."""
        return await self.get(image_id), self.files.image(image_id)

    async def thumbnail(self, image_id: UUID, size: Size) -> tuple[Stored, bytes]:
        """The image and its thumbnail of ``size``, made now if it was not yet.

        ``NotFoundError`` if there is no such image, or it offers no such size.
        """
        image = await self.get(image_id)
        if size not in image.thumbnails:
            raise NotFoundError(f"Image {image_id} has no {size} thumbnail.")
        return image, await self._run(self._thumbnail_bytes, image_id, size)

    async def sweep(self, grace: float) -> list[UUID]:
        """Finish the uploads and deletes a crash cut ``grace`` seconds ago or more.

        Younger ones may be another worker's, under way.
        """
        before = utc_now() - timedelta(seconds=grace)
        cut = await ImageStore(self.database.reads).unfinished(before)
        for image_id in cut:
            await self._forget(image_id)
        return cut

    async def _forget(self, image_id: UUID) -> None:
        """Remove an image's files, then its row."""
        await self._run(self.files.remove, image_id)
        async with self.database.engine.begin() as connection:
            await ImageStore(connection).delete(image_id)

    def _thumbnail_bytes(self, image_id: UUID, size: Size) -> bytes:
        """The thumbnail's file, made and written first if there is none yet."""
        path = self.files.thumbnail(image_id, size)
        if (made := self.files.read(path)) is not None:
            return made
        original = self.files.read(self.files.image(image_id))
        if original is None:  # deleted since its row was read
            raise _not_found(image_id)
        data = processing.thumbnail(original, size)
        self.files.write(path, data)
        return data

    def _stored(self, row: Image) -> Stored:
        size = Size(row.width, row.height)
        return Stored(
            row.id,
            size,
            row.etag,
            row.created_at,
            list(processing.reductions(size, self.limits.min_thumbnail)),
        )

    async def _run(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.threads, lambda: work(*args, **kwargs))


def _not_found(image_id: UUID) -> NotFoundError:
    return NotFoundError(f"There is no image {image_id}.")
