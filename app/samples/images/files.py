"""The image files: ``<folder>/<id>.jpeg``, and ``<folder>/thumbnails/<id>/<WxH>.jpeg``.

A file is written whole or not at all: to a temporary name in the same
folder, flushed to disk, then renamed over its final name (a rename within a
file system is atomic), so that a crash never leaves half an image under a
name that is served. Every call here blocks on the disk: the service runs
them in worker threads.

A crash can leave a temporary file: ``remove`` takes an image's temporary
files with its own, and the service removes every file of an image whose
upload or delete a crash cut (``Images.sweep``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Final
from uuid import UUID

from converters.size import Size

SUFFIX: Final = ".jpeg"
PARTIAL: Final = ".partial"
THUMBNAILS: Final = "thumbnails"


class Files:
    """The files under ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def image(self, image_id: UUID) -> Path:
        """Where the image's JPEG is."""
        return self.folder / f"{image_id}{SUFFIX}"

    def thumbnail(self, image_id: UUID, size: Size) -> Path:
        """Where the image's thumbnail of ``size`` is, once made."""
        return self.folder / THUMBNAILS / str(image_id) / f"{size}{SUFFIX}"

    def write(self, path: Path, data: bytes) -> None:
        """Write ``data`` at ``path`` whole, or leave nothing under that name."""
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.stem}-", suffix=PARTIAL
        )
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def read(self, path: Path) -> bytes | None:
        """The file's bytes; None if there is no such file."""
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def remove(self, image_id: UUID) -> None:
        """Remove the image, its thumbnails and its temporary files; gone is fine."""
        self.image(image_id).unlink(missing_ok=True)
        for partial in self.folder.glob(f".{image_id}-*{PARTIAL}"):
            partial.unlink(missing_ok=True)
        shutil.rmtree(self.folder / THUMBNAILS / str(image_id), ignore_errors=True)
