"""The images sample's settings (``APP_IMAGES_*``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.core.settings import Count, Settings


class ImagesSettings(Settings):
    """Where images are kept, how large they may be, and their thumbnails."""

    # None: images/ next to the SQLite database (instance/images by default,
    # git-ignored), or instance/images with PostgreSQL. With several
    # machines, a volume that every worker sees.
    IMAGES_FOLDER: Annotated[str | None, Field(min_length=1)] = None
    # Bytes one upload may have: larger than MAX_CONTENT_LENGTH, for this
    # route only, then 413.
    IMAGES_MAX_UPLOAD: Count = 16 * 1024 * 1024
    # Width x height an upload may have (decompression bombs: a 50 KB PNG can
    # claim 100,000 x 100,000 pixels), then 422. 40 megapixels take about
    # 120 MB to decode.
    IMAGES_MAX_PIXELS: Count = 40_000_000
    # The smallest side a thumbnail may have: sizes are the image halved,
    # and halved again, while both sides stay at least this.
    IMAGES_MIN_THUMBNAIL: Count = 64
    # Pillow's work at once, per process; more waits its turn.
    IMAGES_WORKERS: Count = 2
    # At start-up, an upload or delete left unfinished (a crash) this long
    # ago is finished: its files removed. Younger, it may be another
    # worker's, under way.
    IMAGES_ORPHAN_GRACE: Annotated[float, Field(ge=0)] = 60.0
