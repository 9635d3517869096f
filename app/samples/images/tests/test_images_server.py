"""/images through a real Hypercorn: streamed files, ranges, the cache, and SIGKILL.

On SQLite (the default a new user runs); the same code runs on PostgreSQL in
``test_images.py``.
"""

from __future__ import annotations

import asyncio
import io
import signal
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx
from PIL import Image

from tests.support.live import Server, migrated_copy

StartServer = Callable[[Mapping[str, str] | None], Server]


def _png(side: int) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((side, side), 40).convert("RGB").save(out, "PNG")
    return out.getvalue()


def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {
        "APP_DATABASE_URL": migrated_copy(tmp_path / "app.db"),
        "APP_IMAGES_FOLDER": str(tmp_path / "images"),
        **more,
    }


def test_files_stream_with_ranges_and_thumbnails_come_from_the_cache(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server(_env(tmp_path)).start()
    with httpx.Client(base_url=server.url) as http:
        upload = http.post(
            "/images", content=_png(600), headers={"Content-Type": "image/png"}
        )
        assert upload.status_code == 201
        image = upload.json()
        whole = http.get(image["image"])
        assert whole.status_code == 200
        assert int(whole.headers["Content-Length"]) == len(whole.content)
        with Image.open(io.BytesIO(whole.content)) as jpeg:
            assert jpeg.size == (600, 600)
        tail = http.get(image["image"], headers={"Range": "bytes=-100"})
        assert tail.status_code == 206
        assert tail.content == whole.content[-100:]
        fresh = http.get(
            image["image"], headers={"If-None-Match": whole.headers["ETag"]}
        )
        assert (fresh.status_code, fresh.content) == (304, b"")

        states = [http.get(image["thumbnails"][0]).headers["X-Cache"] for _ in range(3)]
        assert states == ["Miss", "Hit", "Hit"]
        assert http.delete(f"/images/{image['id']}").status_code == 204
        assert http.get(image["thumbnails"][0]).status_code == 404


def test_sigkill_during_uploads_leaves_only_whole_images(
    start_server: StartServer, tmp_path: Path
) -> None:
    env = _env(tmp_path, APP_IMAGES_ORPHAN_GRACE="0")
    server = start_server(env).start()
    body = _png(900)
    answered: list[str] = []

    async def upload(client: httpx.AsyncClient) -> None:
        try:
            answer = await client.post(
                "/images", content=body, headers={"Content-Type": "image/png"}
            )
        except httpx.TransportError:
            return  # cut by the kill
        if answer.status_code == 201:
            answered.append(answer.json()["id"])
            if len(answered) == 5:
                server.process.send_signal(signal.SIGKILL)

    async def uploads() -> None:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            await asyncio.gather(*(upload(client) for _ in range(50)))

    asyncio.run(uploads())
    assert server.process.wait(10) == -signal.SIGKILL
    assert 5 <= len(answered) < 50  # the kill came while uploads were under way

    again = start_server(env).start()
    with httpx.Client(base_url=again.url) as http:
        listed = http.get("/images?limit=100").json()
        for image in listed:
            jpeg = http.get(image["image"])
            assert jpeg.status_code == 200
            with Image.open(io.BytesIO(jpeg.content)) as decoded:
                decoded.load()  # whole: a cut file fails here
                assert decoded.size == (900, 900)
    ids = {image["id"] for image in listed}
    assert set(answered) <= ids  # every upload that got its 201 is kept
    files = {p.name for p in (tmp_path / "images").rglob("*") if p.is_file()}
    assert files == {f"{image_id}.jpeg" for image_id in ids}  # nothing else
