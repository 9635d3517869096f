"""The images sample over HTTP: ``/images`` and ``/thumbnails``.

``POST /images`` takes the image as the raw body (``Content-Type: image/*``)
or as ``multipart/form-data`` (field ``image``), up to ``IMAGES_MAX_UPLOAD``
bytes; the bytes decide the format. ``GET /images/<id>.jpeg`` streams the
JPEG and answers ``If-None-Match``, ``If-Modified-Since`` (304) and
``Range`` (206, 416). Thumbnails are made on first request, at the sizes the
image lists, and kept by the response cache (``X-Cache``), which a delete
empties for that image.
"""

from __future__ import annotations

import io
from typing import Any, Final
from uuid import UUID

from quart import Blueprint, Response, current_app, request, send_file, url_for
from quart_schema import (
    document_querystring,
    document_response,
    validate_querystring,
)
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType
from werkzeug.formparser import FormDataParser
from werkzeug.http import http_date

from app.core import cache, offload, responses
from app.core.documentation import (
    NoContent,
    documents_body,
    documents_errors,
    documents_links,
    documents_media,
)
from app.core.domain import NotFoundError
from app.core.errors import APIError, add_request_fields
from app.core.parsing import read_body
from app.core.responses import respond
from app.samples.images import processing
from app.samples.images.schemas import (
    Cached,
    Created,
    ImageOut,
    ImagesOut,
    Page,
    PageLinks,
)
from app.samples.images.service import Images, Stored
from converters.size import Size

EXTENSION: Final = "images"
FIELD: Final = "image"
JPEG: Final = "image/jpeg"
# A multipart body holds the image; parsing stops at this many parts.
MAX_FORM_PARTS: Final = 8
ONE_PART: Final = f"The multipart body must hold one file part {FIELD!r}, nothing else."

# The upload, as /openapi.json shows it: bytes whose format Pillow sniffs.
_BYTES: Final = {"type": "string", "format": "binary"}
UPLOAD: Final[dict[str, dict[str, Any]]] = {
    **{f"image/{kind}": _BYTES for kind in ("jpeg", "png", "gif", "webp")},
    "multipart/form-data": {
        "type": "object",
        "properties": {FIELD: _BYTES},
        "required": [FIELD],
        "additionalProperties": False,
    },
}

blueprint = Blueprint("images", __name__)
add_request_fields(blueprint)


@blueprint.post("/images")
@documents_body(UPLOAD)
@document_response(ImageOut, 201, Created)
@documents_links("images.image", "images.remove", image_id="id")
@documents_errors(400, 408, 413, 415, 422, 503)
async def upload() -> tuple[Response, int, dict[str, str]]:
    """Store an image: the raw body (``image/*``) or multipart field ``image``.

    201 with ``Location`` and the image; 415 if the bytes are not an image
    the sample reads, 422 if it cannot be read whole or has too many pixels.
    """
    data = await _upload_bytes()
    try:
        stored = await _images().add(data)
    except processing.NotAnImageError as error:
        raise UnsupportedMediaType(str(error)) from None
    except processing.UnreadableImageError as error:
        raise APIError(422, str(error)) from None
    location = url_for("images.image", image_id=stored.id)
    return respond(_image_json(stored)), 201, {"Location": location}


@blueprint.get("/images")
@validate_querystring(Page)
@document_querystring(Page)
@document_response(ImagesOut, 200, PageLinks)
@documents_errors(422, 503)
async def index(query_args: Page) -> Response:
    """List images, newest first; ``limit`` (1-100) and ``before=<id>`` page them."""
    page = await _images().page(query_args.limit, query_args.before)
    response = respond([_image_json(item) for item in page.items])
    if page.more:
        following = url_for(
            "images.index", limit=query_args.limit, before=page.items[-1].id
        )
        response.headers["Link"] = f'<{following}>; rel="next"'
    return response


@blueprint.get("/images/<uuid:image_id>.jpeg")
@document_response(bytes)
@documents_media(JPEG)
@documents_errors(404, 416, 503)
async def image(image_id: UUID) -> Response:
    """The JPEG, streamed; 304 for a fresh ``If-None-Match``, 206 for a ``Range``."""
    stored, path = await _images().file(image_id)
    try:
        response = await send_file(path, mimetype=JPEG, add_etags=False)
    except FileNotFoundError:  # deleted since its row was read
        raise NotFoundError(f"There is no image {image_id}.") from None
    _validators(response, stored, stored.etag)
    return await responses.conditional(response)


@blueprint.delete("/images/<uuid:image_id>")
@document_response(NoContent, 204)
@documents_errors(404, 503)
async def remove(image_id: UUID) -> tuple[str, int]:
    """Delete the image, its thumbnails and its cached answers; 204, then 404."""
    await _images().delete(image_id)
    await cache.invalidate(str(image_id))
    return "", 204


@blueprint.get("/thumbnails/<uuid:image_id>/<size:size>.jpeg")
@document_response(bytes, 200, Cached)
@documents_media(JPEG)
@documents_errors(404, 416, 503)
@cache.cached(tag=lambda image_id, size: str(image_id))
async def thumbnail(image_id: UUID, size: Size) -> Response:
    """A thumbnail at one of the sizes the image lists (404 for any other)."""
    stored, data = await _images().thumbnail(image_id, size)
    response = current_app.response_class(data, mimetype=JPEG)
    _validators(response, stored, f"{stored.etag}-{size}")
    return response


def _images() -> Images:
    images: Images = current_app.extensions[EXTENSION]
    return images


def _image_json(stored: Stored) -> dict[str, object]:
    return {
        "id": str(stored.id),
        "image": url_for("images.image", image_id=stored.id),
        "modified": http_date(stored.modified),
        "size": list(stored.size),
        "thumbnails": [
            url_for("images.thumbnail", image_id=stored.id, size=size)
            for size in stored.thumbnails
        ],
    }


def _validators(response: Response, stored: Stored, etag: str) -> None:
    response.set_etag(etag)
    response.last_modified = stored.modified
    response.cache_control.public = True
    response.cache_control.max_age = 3600


async def _upload_bytes() -> bytes:
    multipart = request.mimetype == "multipart/form-data"
    if not (multipart or request.mimetype.startswith("image/")):
        raise UnsupportedMediaType(
            "Send the image as image/* or as multipart/form-data."
        )
    body = await read_body()
    if not multipart:
        return body
    # werkzeug's multipart parser is Python: a thread's work for 16 MiB.
    return await offload.in_thread(_image_part, body, request.mimetype_params)


def _image_part(body: bytes, options: dict[str, str]) -> bytes:
    """The bytes of the one file part ``image``; 400 for anything else in the form."""
    parser = FormDataParser(
        stream_factory=_in_memory,
        max_form_memory_size=len(body) or 1,
        max_form_parts=MAX_FORM_PARTS,
    )
    try:
        _, form, files = parser.parse(
            io.BytesIO(body), "multipart/form-data", len(body), options
        )
    except ValueError as error:
        raise BadRequest(f"The multipart body cannot be read: {error}") from None
    except RequestEntityTooLarge:  # more than MAX_FORM_PARTS parts
        raise BadRequest(ONE_PART) from None
    # As every body the kit reads, the form is exactly what is documented.
    parts = [key for fields in (form, files) for key, _ in fields.items(multi=True)]
    if parts != [FIELD] or FIELD not in files:
        raise BadRequest(
            f"{ONE_PART} It holds {', '.join(map(repr, parts)) or 'none'}."
        )
    part: FileStorage = files[FIELD]
    return part.stream.read()


def _in_memory(*_args: object, **_kwargs: object) -> io.BytesIO:
    return io.BytesIO()
