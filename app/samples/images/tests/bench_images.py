"""``make bench`` part ``images``: thumbnails made and cached, /healthz, uploads.

The kit is served as ``make run`` serves it (one process, SQLite, the cache
in the process), on a fresh database and images folder:

1. **Pools.** In this process, ``POOL_THUMBNAILS`` thumbnails of one
   4000x3000 JPEG by a pool of 2 threads and by a pool of 2 processes, in
   ``POOL_ROUNDS`` rounds taking turns: thumbnails per second of each, the
   processes' over the threads'.
2. **Made.** ``IMAGES`` 4000x3000 JPEGs uploaded, then 4 clients ask for each
   of their thumbnails once: every request a miss that makes the thumbnail.
   Meanwhile another client asks for ``/healthz`` every ``HEALTH_EVERY_S``:
   its p50, p99 and worst latency.
3. **Cached.** wrk on one thumbnail (a hit every time) and on bare Quart's
   ``/api``, taking turns (``BENCH_ROUNDS`` of ``BENCH_DURATION`` s).
4. **Uploads.** ``BENCH_IMAGE_UPLOADS`` (default 200) 5-megapixel PNGs,
   ``UPLOADERS`` at a time: p50 and p99 per upload, and the server's memory
   before the first and after the last.

Targets: cached ÷ made ≥ 20; cached ÷ bare ``/api`` ≥ 0.7; ``/healthz`` p99
under 50 ms while thumbnails are made; memory after the uploads at most 1.5
times before. About 2 minutes.
"""

from __future__ import annotations

import asyncio
import io
import statistics
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Final

import httpx
from PIL import Image

from app.samples.images import processing
from converters.size import Size
from tests.bench import BenchError
from tests.bench.databases import fresh
from tests.bench.parts import (
    Bench,
    Part,
    Section,
    progress,
    table,
    verdict,
    whole_number,
)
from tests.bench.serve import BARE, KIT, rss_mib, serving, wait_until_idle
from tests.bench.wrk import Endpoint, Job, compared, take_turns

POOL_THUMBNAILS: Final = 30
POOL_ROUNDS: Final = 3
IMAGES: Final = 30
MAKERS: Final = 4
HEALTH_EVERY_S: Final = 0.01
UPLOADERS: Final = 4
# What a phone camera takes: 12 megapixels.
PHOTO: Final = Size(4000, 3000)
FIVE_MEGAPIXELS: Final = Size(2592, 1944)
TIMEOUT_S: Final = 60.0
CACHED_OVER_MADE: Final = 20.0
CACHED_OVER_BARE: Final = 0.7
HEALTH_P99_MS: Final = 50.0
MEMORY_GROWTH: Final = 1.5


def run(bench: Bench) -> Section:
    """The four measurements; figures, verdicts and the report."""
    uploads = whole_number("BENCH_IMAGE_UPLOADS", 200)
    photo = _photo(PHOTO, "JPEG")
    progress("images: thread and process pools making thumbnails")
    pools = _pools(photo)
    figures: dict[str, Any] = {"pools": pools}
    with fresh("sqlite", bench.folder) as database:
        env = {**database.env, "APP_IMAGES_FOLDER": str(bench.folder / "images")}
        kit = replace(KIT, env=env)
        with (
            serving(kit, bench.folder / "images-kit.log") as server,
            serving(BARE, bench.folder / "images-bare.log") as bare,
        ):
            progress("images: thumbnails made while /healthz is asked")
            made = asyncio.run(_made(server.url(""), photo))
            figures["made"] = made
            hot = made["hot"]
            wait_until_idle([server, bare])
            progress("images: a cached thumbnail against bare /api")
            jobs = [
                Job("cached", server, Endpoint(hot)),
                Job("bare", bare, Endpoint("/api")),
            ]
            rounds = take_turns(bench.wrk, jobs, bench.rounds, bench.duration)
            figures["cached"] = compared(rounds["cached"], rounds["bare"])
            progress(f"images: {uploads} uploads of a 5-megapixel PNG")
            wait_until_idle([server])
            figures["uploads"] = asyncio.run(
                _uploads(server.url(""), uploads, lambda: rss_mib(server))
            )
            server.check_alive()
    cached = figures["cached"]
    over_made = cached["requests_per_s"] / made["per_s"]
    growth = figures["uploads"]["rss_after_mib"] / figures["uploads"]["rss_before_mib"]
    figures |= {"cached_over_made": over_made, "memory_growth": growth}
    verdicts = {
        "images_cached_over_made": verdict(over_made >= CACHED_OVER_MADE),
        "images_cached_over_bare": verdict(cached["ratio"] >= CACHED_OVER_BARE),
        "images_healthz_p99": verdict(made["healthz"]["p99_ms"] < HEALTH_P99_MS),
        "images_memory": verdict(growth <= MEMORY_GROWTH),
    }
    return Section(figures, verdicts, _render(figures, verdicts))


def _photo(size: Size, kind: str) -> bytes:
    """A photo-like image: smooth colour with grain, as a camera gives."""
    grain = Image.effect_noise(size, 24)
    red = Image.linear_gradient("L").resize(size)
    blue = red.transpose(Image.Transpose.ROTATE_90).resize(size)
    image = Image.merge("RGB", (red, grain, blue))
    out = io.BytesIO()
    image.save(out, kind, **({"quality": 90} if kind == "JPEG" else {}))
    return out.getvalue()


def _pools(photo: bytes) -> dict[str, Any]:
    """Thumbnails per second from a pool of 2 threads and of 2 processes."""
    size = Size(PHOTO.width // 4, PHOTO.height // 4)
    rates: dict[str, list[float]] = {"threads": [], "processes": []}
    with ThreadPoolExecutor(2) as threads, ProcessPoolExecutor(2) as processes:
        pools: dict[str, Executor] = {"threads": threads, "processes": processes}
        for pool in pools.values():  # start the processes, import Pillow in them
            list(pool.map(processing.thumbnail, [photo] * 4, [size] * 4))
        for index in range(POOL_ROUNDS):
            order = list(pools) if index % 2 == 0 else list(pools)[::-1]
            for name in order:
                started = time.perf_counter()
                count = POOL_THUMBNAILS
                list(
                    pools[name].map(
                        processing.thumbnail, [photo] * count, [size] * count
                    )
                )
                rates[name].append(count / (time.perf_counter() - started))
    threads_rate = statistics.median(rates["threads"])
    processes_rate = statistics.median(rates["processes"])
    return {
        "threads_per_s": threads_rate,
        "processes_per_s": processes_rate,
        "processes_over_threads": processes_rate / threads_rate,
        "rounds": rates,
    }


async def _made(base: str, photo: bytes) -> dict[str, Any]:
    """Upload ``IMAGES``; make each thumbnail once with ``MAKERS`` clients."""
    limits = httpx.Limits(max_connections=MAKERS)
    async with httpx.AsyncClient(
        base_url=base, timeout=TIMEOUT_S, limits=limits
    ) as client:
        paths: list[str] = []
        for _ in range(IMAGES):
            answer = await client.post(
                "/images", content=photo, headers={"Content-Type": "image/jpeg"}
            )
            if answer.status_code != 201:
                raise BenchError(f"upload: {answer.status_code} {answer.text[:200]}")
            paths += answer.json()["thumbnails"]
        queue: asyncio.Queue[str] = asyncio.Queue()
        for path in paths:
            queue.put_nowait(path)
        misses = 0

        async def maker() -> None:
            nonlocal misses
            while not queue.empty():
                answer = await client.get(queue.get_nowait())
                if answer.status_code != 200:
                    raise BenchError(f"thumbnail: {answer.status_code}")
                misses += answer.headers.get("X-Cache") == "Miss"

        stop = asyncio.Event()
        started = time.perf_counter()
        health = asyncio.ensure_future(_health(base, stop))
        await asyncio.gather(*(maker() for _ in range(MAKERS)))
        elapsed = time.perf_counter() - started
        stop.set()
        latencies = await health
        hot = paths[-1]
        if (await client.get(hot)).headers.get("X-Cache") != "Hit":
            raise BenchError(f"{hot} was not cached after it was made")
    ordered = sorted(latencies)
    return {
        "thumbnails": len(paths),
        "misses": misses,
        "seconds": elapsed,
        "per_s": len(paths) / elapsed,
        "hot": hot,
        "healthz": {
            "requests": len(ordered),
            "p50_ms": _percentile(ordered, 0.50),
            "p99_ms": _percentile(ordered, 0.99),
            "max_ms": ordered[-1],
        },
    }


async def _health(base: str, stop: asyncio.Event) -> list[float]:
    """``/healthz`` latencies in ms, one every ``HEALTH_EVERY_S`` until ``stop``."""
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT_S) as client:
        while not stop.is_set():
            started = time.perf_counter()
            answer = await client.get("/healthz")
            took = time.perf_counter() - started
            if answer.status_code != 200:
                raise BenchError(f"/healthz: {answer.status_code}")
            latencies.append(took * 1000)
            await asyncio.sleep(max(0.0, HEALTH_EVERY_S - took))  # pacing the probe
    return latencies


async def _uploads(base: str, count: int, rss: Any) -> dict[str, Any]:
    """``count`` uploads of one 5-megapixel PNG, ``UPLOADERS`` at a time."""
    png = _photo(FIVE_MEGAPIXELS, "PNG")
    before = rss()
    took: list[float] = []
    limits = httpx.Limits(max_connections=UPLOADERS)
    async with httpx.AsyncClient(
        base_url=base, timeout=TIMEOUT_S, limits=limits
    ) as client:
        left = iter(range(count))

        async def uploader() -> None:
            for _ in left:
                started = time.perf_counter()
                answer = await client.post(
                    "/images", content=png, headers={"Content-Type": "image/png"}
                )
                took.append((time.perf_counter() - started) * 1000)
                if answer.status_code != 201:
                    raise BenchError(
                        f"upload: {answer.status_code} {answer.text[:200]}"
                    )

        await asyncio.gather(*(uploader() for _ in range(UPLOADERS)))
    ordered = sorted(took)
    return {
        "uploads": count,
        "png_bytes": len(png),
        "p50_ms": _percentile(ordered, 0.50),
        "p99_ms": _percentile(ordered, 0.99),
        "rss_before_mib": before,
        "rss_after_mib": rss(),
    }


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _render(figures: dict[str, Any], verdicts: dict[str, str]) -> str:
    pools, made, cached = figures["pools"], figures["made"], figures["cached"]
    uploads, health = figures["uploads"], figures["made"]["healthz"]
    rows = [
        ["measure", "figure", "target"],
        [
            "thumbnails/s, 2 threads | 2 processes",
            f"{pools['threads_per_s']:.0f} | {pools['processes_per_s']:.0f} "
            f"({pools['processes_over_threads']:.2f}x)",
            "",
        ],
        [
            f"made: {made['thumbnails']} thumbnails by {MAKERS} clients",
            f"{made['per_s']:.0f}/s ({made['misses']} misses)",
            "",
        ],
        [
            "/healthz meanwhile: p50 p99 max",
            f"{health['p50_ms']:.1f} {health['p99_ms']:.1f} {health['max_ms']:.1f} ms",
            f"p99 < {HEALTH_P99_MS:.0f} ms {verdicts['images_healthz_p99']}",
        ],
        [
            "cached thumbnail (wrk)",
            f"{cached['requests_per_s']:,.0f}/s, "
            f"{figures['cached_over_made']:.0f}x made",
            f"≥ {CACHED_OVER_MADE:.0f}x {verdicts['images_cached_over_made']}",
        ],
        [
            "cached ÷ bare Quart /api",
            f"{cached['ratio']:.2f} (rounds {cached['spread']['min']:.2f}-"
            f"{cached['spread']['max']:.2f})",
            f"≥ {CACHED_OVER_BARE} {verdicts['images_cached_over_bare']}",
        ],
        [
            f"{uploads['uploads']} uploads of a 5 MP PNG "
            f"({uploads['png_bytes'] / 1e6:.1f} MB): p50 p99",
            f"{uploads['p50_ms']:.0f} {uploads['p99_ms']:.0f} ms",
            "",
        ],
        [
            "server memory before, after the uploads",
            f"{uploads['rss_before_mib']:.0f}, {uploads['rss_after_mib']:.0f} MiB "
            f"({figures['memory_growth']:.2f}x)",
            f"≤ {MEMORY_GROWTH}x {verdicts['images_memory']}",
        ],
    ]
    title = "Images: thumbnails made and cached, uploads (SQLite, one process)"
    return "\n".join([title, "", *table(rows)])


PART: Final = Part(
    "images",
    "thumbnails made and cached, /healthz meanwhile, 5 MP uploads (~2 min)",
    run,
)
