"""What the tour's routes answer: pydantic models for ``/openapi.json``.

The views build plain dicts and lists; these models only document them, so a
client or a fuzzer can check every answer against its schema.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field, RootModel

T = TypeVar("T")


class Greeting(BaseModel, Generic[T]):
    """A greeting: ``{"Hello": ...}``."""

    hello: T = Field(alias="Hello")


class Method(BaseModel):
    """The request's method, echoed."""

    method: str


class Details(BaseModel):
    """What a request carries: method, path, endpoint and query arguments."""

    method: str
    path: str
    endpoint: str
    args: dict[str, list[str]]


class Variables(BaseModel):
    """Several variables taken from one URL."""

    a: str
    b: str
    n: int = Field(ge=0)


class UrlForQuery(BaseModel):
    """The query string of ``/api/url-for``."""

    name: str = Field(min_length=1, description="A registered user's name.")
    external: str = Field(
        default="", description="1, true, yes or on for an absolute URL."
    )


class Url(BaseModel):
    """A URL that ``url_for`` built."""

    url: str


class Authorization(BaseModel):
    """The ``Authorization`` header's scheme and, for valid Basic, the user name."""

    scheme: str | None
    username: str | None


class Person(BaseModel):
    """A person, as ``/api/created`` makes one."""

    id: str
    name: str


class Located(BaseModel):
    """Where the new thing is."""

    location: str = Field(alias="Location")


class Address(BaseModel):
    """The client's address as the app sees it."""

    ip: str | None


class Anything(RootModel[Any]):
    """Any JSON value."""
