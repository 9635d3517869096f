"""Pillow's work: read an upload into the stored JPEG, and make thumbnails.

Everything here is CPU work that blocks: the service runs it in the sample's
worker threads (Pillow lets go of the GIL while it decodes, resizes and
encodes, so threads keep up with a process pool without copying the bytes
between processes; docs/benchmark.md has the figures).

What is accepted is decided by the bytes, never by the client's
``Content-Type``: Pillow identifies the format among ``FORMATS`` only (no
EPS, which would run Ghostscript, nor the dozens of rarer decoders). The
pixel count is checked from the header before anything is decoded, so a
decompression bomb costs a few hundred bytes of reading.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageOps, UnidentifiedImageError

from converters.size import Size

FORMATS: Final = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")
JPEG_QUALITY: Final = 85
_WHITE: Final = (255, 255, 255)


class NotAnImageError(ValueError):
    """The bytes are none of the formats the sample reads (a 415)."""


class UnreadableImageError(ValueError):
    """An image of a known format that cannot be read whole, or is too large (a 422)."""


@dataclass(frozen=True)
class Converted:
    """The stored rendition: JPEG bytes, and its size in pixels."""

    jpeg: bytes
    size: Size


def convert(data: bytes, max_pixels: int) -> Converted:
    """The upload as a JPEG: EXIF orientation applied, metadata gone, alpha on white."""
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError:
        raise NotAnImageError(
            f"The body is not an image in one of {', '.join(FORMATS)}."
        ) from None
    except Exception as error:  # a header that cannot be read
        raise UnreadableImageError(f"The image cannot be read: {error}") from None
    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise UnreadableImageError(
                f"The image is {width}x{height} pixels; at most {max_pixels:,} "
                "pixels are taken."
            )
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
            rgb = _on_white(upright)
            # Pillow writes what ``info`` carries (a comment, an ICC profile)
            # into the new file; the rendition keeps no metadata at all.
            rgb.info.clear()
            out = io.BytesIO()
            rgb.save(out, "JPEG", quality=JPEG_QUALITY)
        except Exception as error:  # truncated or corrupt data, in any decoder
            raise UnreadableImageError(f"The image cannot be read: {error}") from None
        return Converted(out.getvalue(), Size(*rgb.size))


def thumbnail(jpeg: bytes, size: Size) -> bytes:
    """The stored JPEG scaled to ``size``, as a JPEG."""
    with Image.open(io.BytesIO(jpeg), formats=("JPEG",)) as image:
        # Decodes at 1/2, 1/4 or 1/8 scale when that still covers ``size``.
        image.draft("RGB", size)
        small = image.resize(size, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        small.save(out, "JPEG", quality=JPEG_QUALITY)
        return out.getvalue()


def reductions(size: Size, min_side: int) -> Iterator[Size]:
    """An image's thumbnail sizes: halved, and halved again, down to ``min_side``."""
    width, height = size
    factor = 2
    while width // factor >= min_side and height // factor >= min_side:
        yield Size(width // factor, height // factor)
        factor *= 2


def _on_white(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, _WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
