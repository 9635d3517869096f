"""``registered``: a URL carries a user id, the view receives the user's name.

The id-to-name table belongs to the app: ``create_app`` gives each app an
empty one, which the feature that owns the data fills at start-up (the tour
sample, from its ``USERS`` setting) and may replace at run time with
``Registry.replace``. The converter class is bound to one table with
``RegisteredConverter.using(registry)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from werkzeug.routing import BaseConverter, Map, ValidationError


class Registry:
    """A two-way table of user ids and unique names."""

    def __init__(self, users: Mapping[str, str] | None = None) -> None:
        self._names: dict[str, str] = {}
        self._ids: dict[str, str] = {}
        self.replace(users or {})

    def replace(self, users: Mapping[str, str]) -> None:
        """Swap in a new table; lookups see the old one or the new, never a mix."""
        ids = {name: user_id for user_id, name in users.items()}
        if len(ids) != len(users):
            raise ValueError("registered names must be unique")
        if any("/" in user_id or not user_id for user_id in users):
            # A server decodes %2F before routing, so such an id could never match.
            raise ValueError("registered ids must be non-empty and free of '/'")
        self._names, self._ids = dict(users), ids

    def name(self, user_id: str) -> str | None:
        """The name registered under ``user_id``."""
        return self._names.get(user_id)

    def user_id(self, name: str) -> str | None:
        """The id registered for ``name``."""
        return self._ids.get(name)


class RegisteredConverter(BaseConverter):
    """Turn a registered id into a name, and a name back into its id.

    Rule ``/api/person/<registered:name>``: ``/api/person/1`` calls the view with
    ``name="Alice"``; ``url_for(..., name="Alice")`` builds ``/api/person/1``.
    An unknown id does not match (404); building with an unknown name is a
    ``ValueError``.
    """

    registry: ClassVar[Registry]

    @classmethod
    def using(cls, registry: Registry) -> type[RegisteredConverter]:
        """A converter class that looks names up in ``registry``."""
        return type(cls.__name__, (cls,), {"registry": registry})

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        if not hasattr(self, "registry"):
            raise TypeError(
                "install RegisteredConverter.using(registry), not the class"
            )
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> str:
        name = self.registry.name(value)
        if name is None:
            raise ValidationError()
        return name

    def to_url(self, value: str) -> str:
        user_id = self.registry.user_id(value)
        if user_id is None:
            raise ValueError(f"{value!r} is not a registered name")
        return quote(user_id, safe="")
