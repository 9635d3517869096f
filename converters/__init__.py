"""The kit's URL converters, installed by ``create_app`` before any blueprint.

``CONVERTERS`` maps each rule name (``<registered:name>``, ``<size:size>``) to
its converter. A converter that looks values up (``RegisteredConverter``) is
bound to a table the app owns: the factory installs ``converter.using(table)``
with an empty table kept in ``app.extensions["converters.<name>"]``, and the
feature that owns the data fills it at start-up (see ``app.core.install``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from werkzeug.routing import BaseConverter

from converters.registered import RegisteredConverter, Registry
from converters.size import Size, SizeConverter

CONVERTERS: Final[Mapping[str, type[BaseConverter]]] = MappingProxyType(
    {"registered": RegisteredConverter, "size": SizeConverter}
)

__all__ = ["CONVERTERS", "RegisteredConverter", "Registry", "Size", "SizeConverter"]
