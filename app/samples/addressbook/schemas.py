"""What an address-book entry is: pydantic models, the resource's contract.

quart-schema validates request bodies against ``Entry`` and documents it in
``/openapi.json``. Unknown fields are refused, text is stripped and bounded, and
lists are capped, so no body can store something unbounded.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, StringConstraints

from app.core.documentation import NOT_BLANK

MAX_ITEMS = 20
MAX_ID: Final = 2**63 - 1  # the largest BIGINT

Kind = Literal["home", "work", "other"]
Text = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=NOT_BLANK
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PostalAddress(_Strict):
    """A postal address."""

    kind: Kind
    street: Text
    city: Text
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)]
    country: Text


class Phone(_Strict):
    """A phone number: digits, spaces and ``+ - ( ) .``."""

    kind: Kind
    number: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ().-]{3,32}$")]


class Email(_Strict):
    """An email address (checked for shape, not deliverability)."""

    kind: Kind
    email: Annotated[
        str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    ]


class Entry(_Strict):
    """An address-book entry: a name, and any addresses, phones and emails."""

    full_name: Text
    addresses: list[PostalAddress] = Field(default_factory=list, max_length=MAX_ITEMS)
    phones: list[Phone] = Field(default_factory=list, max_length=MAX_ITEMS)
    emails: list[Email] = Field(default_factory=list, max_length=MAX_ITEMS)


class StoredEntry(Entry):
    """An entry as ``POST /addresses`` answers it: with the id it was given."""

    id: int


class Page(BaseModel):
    """The query string of ``GET /addresses``: page size and the id to start after."""

    limit: int = Field(default=50, ge=1, le=500)
    after: int = Field(default=0, ge=0, le=MAX_ID)


class Entries(RootModel[dict[Annotated[str, Field(pattern=r"^[0-9]+$")], Entry]]):
    """A page of entries in creation order, by id."""


class PageLinks(BaseModel):
    """The link to the next page, when there is one."""

    link: str | None = Field(
        default=None, alias="Link", description='`<url>; rel="next"`'
    )


class Versioned(BaseModel):
    """The entry's version, to send back in ``If-Match``."""

    etag: str = Field(alias="ETag", pattern=r'^"[0-9]+"$')


class Created(Versioned):
    """Where the new entry is, and its version."""

    location: str = Field(alias="Location", pattern=r"/addresses/[0-9]+$")


class Preconditions(BaseModel):
    """The request headers of ``PUT``: the versions it may replace."""

    if_match: str | None = Field(
        default=None,
        alias="If-Match",
        description='`"<version>"`, several separated by commas, or `*`',
    )
