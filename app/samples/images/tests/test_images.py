"""/images and /thumbnails over HTTP: uploads, bad images, files, ranges, thumbnails.

Each test runs on SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set;
images are made with Pillow in the test, files go to the test's own folder.
"""

from __future__ import annotations

import asyncio
import io
import random
import struct
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from PIL import Image
from quart.typing import TestClientProtocol as _Client
from werkzeug.datastructures import FileStorage

from app import create_app
from app.core import database as db
from app.samples.images import processing
from app.samples.images.storage import ImageStore
from tests.support.fixtures import TEST_REDIS_URL

RED = (200, 30, 30)


def png(
    size: tuple[int, int] = (640, 480), mode: str = "RGB", color: Any = RED
) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, "PNG")
    return out.getvalue()


def forged_png(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels, with one row of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\0" * (width * 3 + 1))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "images"


def _settings(database: dict[str, Any], folder: Path) -> dict[str, Any]:
    return {"TESTING": True, **database, "IMAGES_FOLDER": str(folder)}


@pytest.fixture
def config(database: dict[str, Any], folder: Path) -> dict[str, Any]:
    return _settings(database, folder)


async def upload(client: _Client, data: bytes, kind: str = "image/png") -> Any:
    answer = await client.post("/images", data=data, headers={"Content-Type": kind})
    assert answer.status_code == 201, await answer.get_data()
    return await answer.get_json()


def _part(data: bytes) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename="cat.png", content_type="image/png")


def _files(folder: Path) -> set[str]:
    """The names of the files under ``folder``, temporary ones included."""
    return {path.name for path in folder.rglob("*") if path.is_file()}


def jpeg_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        return image.size


async def test_upload_then_read_the_jpeg(client: _Client, folder: Path) -> None:
    answer = await client.post(
        "/images", data=png(), headers={"Content-Type": "image/png"}
    )
    assert answer.status_code == 201
    image = await answer.get_json()
    image_id = UUID(image["id"])
    assert answer.headers["Location"] == image["image"] == f"/images/{image_id}.jpeg"
    assert image["size"] == [640, 480]
    assert image["thumbnails"] == [
        f"/thumbnails/{image_id}/320x240.jpeg",
        f"/thumbnails/{image_id}/160x120.jpeg",
    ]  # 80x60 is below IMAGES_MIN_THUMBNAIL (64)
    modified = datetime.strptime(image["modified"], "%a, %d %b %Y %H:%M:%S GMT")
    assert abs(modified.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=1)

    jpeg = await client.get(image["image"])
    assert jpeg.status_code == 200
    assert jpeg.mimetype == "image/jpeg"
    data = await jpeg.get_data(as_text=False)
    assert jpeg.headers["Content-Length"] == str(len(data))
    assert jpeg.headers["Last-Modified"] == image["modified"]
    assert jpeg.headers["ETag"]
    assert jpeg_size(data) == (640, 480)
    assert (folder / f"{image_id}.jpeg").read_bytes() == data


async def test_multipart_uploads_take_the_image_field(client: _Client) -> None:
    answer = await client.post(
        "/images",
        files={"image": _part(png((100, 80)))},
    )
    assert answer.status_code == 201, await answer.get_data()
    assert (await answer.get_json())["size"] == [100, 80]

    many = {f"part{n}": _part(b"x") for n in range(20)}  # past MAX_FORM_PARTS
    for form in (
        {"picture": _part(png())},  # not the field
        {"image": _part(png()), "caption": _part(b"hello")},  # more than it
        {"image": _part(png()), **many},
    ):
        other = await client.post("/images", files=form)
        assert other.status_code == 400
        assert "one file part 'image'" in (await other.get_json())["message"]
    urlencoded = await client.post("/images", form={"image": "not a file"})
    assert urlencoded.status_code == 415


async def test_the_bytes_decide_the_format_not_the_header(client: _Client) -> None:
    gif_named_png = await upload(client, png((64, 64)), "image/gif")
    assert gif_named_png["size"] == [64, 64]

    for body, kind in [
        (b"hello, not an image", "image/png"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "image/x-eps"),
        (png(), "text/plain"),
        (png(), "application/octet-stream"),
    ]:
        answer = await client.post("/images", data=body, headers={"Content-Type": kind})
        assert answer.status_code == 415, kind
        assert (await answer.get_json())["code"] == 415


async def test_broken_and_oversized_images_are_422(client: _Client) -> None:
    truncated = png((300, 300))[:-200]
    huge = forged_png(100_000, 100_000)  # 10 gigapixels declared in 100 bytes
    above_limit = forged_png(8000, 6000)  # 48 megapixels: over the 40 allowed
    for body in (truncated, huge, above_limit):
        answer = await client.post(
            "/images", data=body, headers={"Content-Type": "image/png"}
        )
        assert answer.status_code == 422, await answer.get_data()
        assert (await answer.get_json())["code"] == 422
    assert await (await client.get("/images")).get_json() == []


async def test_exif_orientation_is_applied_and_metadata_dropped(
    client: _Client,
) -> None:
    photo = Image.new("RGB", (60, 20), RED)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif[0x010F] = "Camera maker"
    out = io.BytesIO()
    photo.save(out, "JPEG", exif=exif, comment=b"a secret")
    image = await upload(client, out.getvalue(), "image/jpeg")
    assert image["size"] == [20, 60]
    data = await (await client.get(image["image"])).get_data(as_text=False)
    with Image.open(io.BytesIO(data)) as stored:
        assert not stored.getexif()
        assert "comment" not in stored.info
        assert "exif" not in stored.info


async def test_transparent_pixels_come_out_white(client: _Client) -> None:
    image = await upload(client, png((40, 40), "RGBA", (0, 0, 0, 0)))
    data = await (await client.get(image["image"])).get_data(as_text=False)
    with Image.open(io.BytesIO(data)) as stored:
        red, green, blue = stored.convert("RGB").getpixel((20, 20))  # type: ignore[misc]
        assert min(red, green, blue) > 245


async def test_an_upload_may_be_larger_than_other_bodies(
    database: dict[str, Any], folder: Path
) -> None:
    limits = {"MAX_CONTENT_LENGTH": 1000, "IMAGES_MAX_UPLOAD": 200_000}
    app = create_app({**_settings(database, folder), **limits})
    noise = Image.frombytes("RGB", (100, 100), random.Random(0).randbytes(30_000))
    out = io.BytesIO()
    noise.save(out, "PNG")
    body = out.getvalue()
    assert 1000 < len(body) < 200_000
    async with app.test_app():
        client = app.test_client()
        accepted = await client.post(
            "/images", data=body, headers={"Content-Type": "image/png"}
        )
        too_big = await client.post(
            "/images", data=body * 8, headers={"Content-Type": "image/png"}
        )
    assert accepted.status_code == 201
    assert too_big.status_code == 413
    assert (await too_big.get_json())["code"] == 413


async def test_pages_are_newest_first(client: _Client) -> None:
    made = [(await upload(client, png((64 + i, 64))))["id"] for i in range(3)]
    first = await client.get("/images?limit=2")
    assert [i["id"] for i in await first.get_json()] == made[:0:-1]
    link = first.headers["Link"]
    assert link == f'</images?limit=2&before={made[1]}>; rel="next"'
    following = await client.get(link[1 : link.index(">")])
    assert [i["id"] for i in await following.get_json()] == [made[0]]
    assert "Link" not in following.headers
    unknown = await client.get(f"/images?before={uuid4()}")
    assert await unknown.get_json() == []
    for bad in ("limit=0", "limit=101", "before=nope"):
        assert (await client.get(f"/images?{bad}")).status_code == 422


async def test_conditional_requests_and_ranges(client: _Client) -> None:
    image = await upload(client, png())
    whole = await client.get(image["image"])
    data = await whole.get_data()
    etag, modified = whole.headers["ETag"], whole.headers["Last-Modified"]

    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
        fresh = await client.get(image["image"], headers=headers)
        assert fresh.status_code == 304
        assert await fresh.get_data() == b""
    stale = await client.get(image["image"], headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200

    part = await client.get(image["image"], headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    assert await part.get_data() == data[10:20]
    tail = await client.get(image["image"], headers={"Range": "bytes=-5"})
    assert await tail.get_data() == data[-5:]
    beyond = await client.get(image["image"], headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    assert (await beyond.get_json())["code"] == 416


async def test_delete_removes_the_file_thumbnails_and_row(
    client: _Client, folder: Path
) -> None:
    image = await upload(client, png())
    thumbnail = image["thumbnails"][0]
    assert (await client.get(thumbnail)).status_code == 200
    assert len(_files(folder)) == 2

    assert (await client.delete(f"/images/{image['id']}")).status_code == 204
    for path in (image["image"], thumbnail):
        gone = await client.get(path)
        assert gone.status_code == 404
        assert (await gone.get_json())["code"] == 404
    assert (await client.delete(f"/images/{image['id']}")).status_code == 404
    assert await (await client.get("/images")).get_json() == []
    assert _files(folder) == set()


async def test_thumbnails_at_the_listed_sizes_only(client: _Client) -> None:
    image = await upload(client, png())
    base = f"/thumbnails/{image['id']}"
    first = await client.get(f"{base}/160x120.jpeg")
    assert (first.status_code, first.headers["X-Cache"]) == (200, "Miss")
    assert jpeg_size(await first.get_data(as_text=False)) == (160, 120)
    again = await client.get(f"{base}/160x120.jpeg")
    assert again.headers["X-Cache"] == "Hit"
    assert await again.get_data() == await first.get_data()
    fresh = await client.get(
        f"{base}/160x120.jpeg", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert fresh.status_code == 304

    for size in ("100x100", "80x60", "0x10", "160X120", "0160x120"):
        answer = await client.get(f"{base}/{size}.jpeg")
        assert answer.status_code == 404, size
        assert (await answer.get_json())["code"] == 404
    assert (await client.get(f"/thumbnails/{uuid4()}/160x120.jpeg")).status_code == 404
    assert (await client.get("/thumbnails/nope/160x120.jpeg")).status_code == 404


async def test_a_new_image_under_a_deleted_ones_urls_is_not_served_from_cache(
    client: _Client,
) -> None:
    image = await upload(client, png())
    thumbnail = image["thumbnails"][1]
    await client.get(thumbnail)
    assert (await client.get(thumbnail)).headers["X-Cache"] == "Hit"
    await client.delete(f"/images/{image['id']}")
    after = await client.get(thumbnail)
    assert after.status_code == 404
    assert "X-Cache" not in after.headers


async def test_concurrent_requests_make_a_thumbnail_once(
    client: _Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = await upload(client, png())
    made: list[object] = []
    real = processing.thumbnail

    def counted(jpeg: bytes, size: Any) -> bytes:
        made.append(size)
        return real(jpeg, size)

    monkeypatch.setattr(processing, "thumbnail", counted)
    answers = await asyncio.gather(
        *(client.get(image["thumbnails"][0]) for _ in range(100))
    )
    assert {a.status_code for a in answers} == {200}
    assert len({await a.get_data() for a in answers}) == 1
    assert len(made) == 1


async def test_uploads_and_deletes_a_crash_cut_are_finished_at_start(
    database: dict[str, Any], folder: Path
) -> None:
    settings = {**_settings(database, folder), "IMAGES_ORPHAN_GRACE": 0}
    app = create_app(settings)
    async with app.test_app():
        client = app.test_client()
        kept = await upload(client, png())
        cut = await upload(client, png((100, 100)))
        # A crash after the row said "deleting", before the files went:
        opened = app.extensions[db.EXTENSION]
        async with opened.engine.begin() as connection:
            assert await ImageStore(connection).deleting(
                UUID(cut["id"]), datetime.now(UTC)
            )
        # ... and a file that belongs to another database sharing the folder.
        stranger = folder / f"{uuid4()}.jpeg"
        stranger.write_bytes(b"not ours")
        (folder / f".{cut['id']}-x.jpeg.partial").write_bytes(b"half")
    app = create_app(settings)
    async with app.test_app():
        client = app.test_client()
        listed = [i["id"] for i in await (await client.get("/images")).get_json()]
    assert listed == [kept["id"]]
    assert _files(folder) == {f"{kept['id']}.jpeg", stranger.name}


@pytest.mark.skipif(not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set")
async def test_with_redis_a_delete_in_one_worker_empties_the_others_cache(
    database: dict[str, Any], folder: Path
) -> None:
    settings = {**_settings(database, folder), "REDIS_URL": TEST_REDIS_URL}
    one, other = create_app(settings), create_app(settings)  # two workers' apps
    async with one.test_app(), other.test_app():
        first, second = one.test_client(), other.test_client()
        image = await upload(first, png())
        thumbnail = image["thumbnails"][0]
        assert (await first.get(thumbnail)).headers["X-Cache"] == "Miss"
        assert (await second.get(thumbnail)).headers["X-Cache"] == "Hit"
        assert (await second.delete(f"/images/{image['id']}")).status_code == 204
        after = await first.get(thumbnail)
        assert after.status_code == 404
