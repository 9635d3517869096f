"""What the images sample answers: pydantic models for ``/openapi.json``."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field, RootModel


class ImageOut(BaseModel):
    """An image: where its JPEG is, when it was stored, its size and thumbnails."""

    id: UUID
    image: str = Field(description="URL of the JPEG")
    modified: str = Field(description="when it was stored, as an HTTP date")
    size: list[int] = Field(
        min_length=2, max_length=2, description="[width, height] in pixels"
    )
    thumbnails: list[str] = Field(description="URLs of its thumbnails, largest first")


class ImagesOut(RootModel[list[ImageOut]]):
    """A page of images, newest first."""


class Page(BaseModel):
    """The query string of ``GET /images``: page size, and the image to start after."""

    limit: int = Field(default=20, ge=1, le=100)
    before: UUID | None = None


class Created(BaseModel):
    """Where the new image's JPEG is."""

    location: str = Field(alias="Location", pattern=r"^/images/[0-9a-f-]{36}\.jpeg$")


class PageLinks(BaseModel):
    """The link to the next page, when there is one."""

    link: str | None = Field(
        default=None, alias="Link", description='`<url>; rel="next"`'
    )


class Cached(BaseModel):
    """Whether the answer came from the response cache."""

    x_cache: str = Field(alias="X-Cache", pattern="^(Hit|Miss)$")
