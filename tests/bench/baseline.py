"""The bare-Quart baseline that ``tests/bench/run.py`` measures the kit against.

A benchmark fixture, not an example to copy: it is written the way a plain
Quart user would write the kit's ``/healthz`` and its four benchmarked
endpoints, so ``app`` is built at import time (which the house style forbids
for the kit itself) and nothing from the kit is imported: no factory, no
middleware, no error handlers, no logging of its own. Each view does the same
essential work as the kit's, so that kit ÷ bare measures what the kit adds,
not a difference in the work.
"""

from __future__ import annotations

import asyncio

import yaml
from quart import Quart, request
from werkzeug.routing import BaseConverter, ValidationError
from werkzeug.security import check_password_hash

USERS = {"1": "Alice", "2": "Bob"}
# generate_password_hash("password"): scrypt at the kit's cost, so /api/secret
# compares the kit's overhead, not two different hashes.
PASSWORD_HASHES = {
    "alice": "scrypt:32768:8:1$i0hQsypaLw5H33GN$aefa7a753e913d255fceca379900de58bd7cc4"
    "5b4dc8c727e8b190c41c1afef2bfde011e259f0040858720d56cb9d22a4f98336ad1b9b5a52adecca"
    "ff32ac019",
}


class RegisteredConverter(BaseConverter):
    """``/api/person/<registered:name>``: ``/api/person/1`` gives ``name="Alice"``."""

    def to_python(self, value: str) -> str:
        if value not in USERS:
            raise ValidationError()
        return USERS[value]

    def to_url(self, value: str) -> str:
        for user_id, name in USERS.items():
            if name == value:
                return user_id
        raise ValueError(f"{value!r} is not a registered name")


app = Quart(__name__)
app.url_map.converters["registered"] = RegisteredConverter


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness, the same shape as the kit's."""
    return {"status": "ok"}


@app.get("/api")
async def hello() -> dict[str, str]:
    """Say hello."""
    return {"Hello": "World!"}


@app.get("/api/person/<registered:name>")
async def person(name: str) -> dict[str, str]:
    """Greet a registered user by name."""
    return {"Hello": name}


@app.get("/api/yaml")
async def as_yaml() -> tuple[str, int, dict[str, str]]:
    """A list as YAML."""
    body = yaml.safe_dump(["Hello", "YAML", "World!"])
    return body, 200, {"Content-Type": "application/x-yaml"}


@app.get("/api/secret")
async def secret() -> tuple[dict[str, str], int, dict[str, str]]:
    """Only for valid Basic credentials; anything else is a 401."""
    auth = request.authorization
    if auth is not None and auth.type == "basic" and auth.username in PASSWORD_HASHES:
        stored = PASSWORD_HASHES[auth.username]
        if await asyncio.to_thread(check_password_hash, stored, auth.password or ""):
            return {"Hello": auth.username}, 200, {}
    challenge = {"WWW-Authenticate": 'Basic realm="bench"'}
    return {"error": "Valid Basic credentials are required."}, 401, challenge
