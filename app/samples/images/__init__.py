"""Images: uploads made JPEG off the loop, streamed files, cached thumbnails.

The Falcon tutorial's image store ("asgilook") in the kit's layers: ``images``
is the blueprint (HTTP only), ``service`` what can be done with images (no
HTTP), ``processing`` Pillow's work, ``files`` the JPEGs on disk, ``storage``
the table; ``migrations/`` creates it. Thumbnails are addressed by the
``size`` converter (``converters/size.py``) and kept by the core's response
cache (``app.core.cache``). ``README.md`` here shows each URL with curl.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from quart import Quart

from app.core import cache, database, parsing
from app.core.features import Feature
from app.samples.images import images
from app.samples.images.files import Files
from app.samples.images.service import Images, Limits
from app.samples.images.settings import ImagesSettings

FOLDER = "images"

logger = logging.getLogger(__name__)


def install(app: Quart) -> None:
    """Open the database and the cache while serving; register the blueprint."""
    database.init_app(app)
    cache.init_app(app)
    app.register_blueprint(images.blueprint)
    config = app.config
    parsing.allow_larger_bodies(app, "POST", "/images", config["IMAGES_MAX_UPLOAD"])
    folder = _folder(app)

    @app.while_serving
    async def _serving() -> AsyncGenerator[None, None]:
        limits = Limits(config["IMAGES_MAX_PIXELS"], config["IMAGES_MIN_THUMBNAIL"])
        threads = ThreadPoolExecutor(
            config["IMAGES_WORKERS"], thread_name_prefix="images"
        )
        opened: database.Database = app.extensions[database.EXTENSION]
        service = Images(opened, Files(folder), limits, threads)
        try:
            cut = await service.sweep(config["IMAGES_ORPHAN_GRACE"])
        except Exception as error:  # the database is down: /readyz says so
            logger.warning("images: start-up sweep skipped: %s", error)
        else:
            if cut:
                logger.info("images: finished %d cut uploads or deletes", len(cut))
        app.extensions[images.EXTENSION] = service
        try:
            yield
        finally:
            del app.extensions[images.EXTENSION]
            threads.shutdown()


def _folder(app: Quart) -> Path:
    """``IMAGES_FOLDER``; else ``images/`` by the SQLite file, or in ``instance/``.

    Next to the database by default, so that an app on a database of its
    own (a test's, a second checkout's) never writes into another's folder.
    """
    if configured := app.config["IMAGES_FOLDER"]:
        return Path(configured)
    url = database.url_for(app.config, app.instance_path)
    if url.get_backend_name() == "sqlite" and url.database not in (
        None,
        "",
        ":memory:",
    ):
        return Path(url.database).parent / FOLDER
    return Path(app.instance_path) / FOLDER


feature = Feature(
    "images",
    install,
    settings=(ImagesSettings,),
    migrations=Path(__file__).parent / "migrations",
)
