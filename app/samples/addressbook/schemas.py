"""What an address-book entry is: pydantic models, the resource's contract.

quart-schema validates request bodies against ``Entry`` and documents it in
``/openapi.json``. Unknown fields are refused, text is stripped and bounded, and
lists are capped, so no body can store something unbounded.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MAX_ITEMS = 20

Kind = Literal["home", "work", "other"]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
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
    after: int | None = Field(default=None, ge=0)
