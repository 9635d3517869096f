"""``hypercorn.toml`` for bare Quart: every setting, but logging that is the stdlib's.

The file's logging writes through the kit's formatter and filter
(``app.core.logs``); importing them imports the kit, which bare Quart must
not carry (its start, memory and garbage collections would count the
kit's). Served as ``hypercorn --config python:tests.bench.bare_config``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def _settings() -> dict[str, Any]:
    settings = tomllib.loads((Path(__file__).parents[2] / "hypercorn.toml").read_text())
    logging = settings["logconfig_dict"]
    logging["formatters"] = {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    }
    logging.pop("filters", None)
    for handler in logging["handlers"].values():
        handler.pop("filters", None)
    return settings


globals().update(_settings())
