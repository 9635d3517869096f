"""The tour's settings: the registered users and the teams."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from app.core.settings import Settings


def _users(value: dict[str, str]) -> dict[str, str]:
    # The converter maps ids to names and back, so names must be unique too;
    # an id holding "/" could never match a URL segment.
    if len(set(value.values())) != len(value):
        raise ValueError("names must be unique")
    if any(
        "/" in user_id or not user_id or not name for user_id, name in value.items()
    ):
        raise ValueError("ids and names must be non-empty, and ids free of '/'")
    return value


class TourSettings(Settings):
    """Users for the ``registered`` converter, and teams for ``/teams``."""

    # id -> unique name: /api/person/1 greets Alice.
    USERS: Annotated[dict[str, str], AfterValidator(_users)] = Field(
        default_factory=lambda: {"1": "Alice", "2": "Bob"}
    )
    # team id -> members.
    TEAMS: dict[str, list[str]] = Field(
        default_factory=lambda: {"1": ["Alice", "Bob"], "2": ["Charles"]}
    )
