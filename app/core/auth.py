"""HTTP Basic authentication: parse the header, check the password.

Parsing never raises: anything that is not a well-formed ``Basic`` header
with UTF-8 ``user:password`` yields no credentials. (Werkzeug's own
``request.authorization`` raises ``ValueError`` on a non-ASCII token, which
would be a 500.) Passwords are stored as werkzeug hashes and checked in a
worker thread, so the slow hash never blocks the event loop; an unknown user
is checked against a real hash too, so it costs the same as a wrong password.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Final

from pydantic import AfterValidator, Field
from quart import Quart, current_app
from werkzeug.datastructures import Headers
from werkzeug.security import check_password_hash

from app.core.errors import APIError
from app.core.service import service
from app.core.settings import Secret, Settings

EXTENSION: Final = "basic_auth"
# Slow hashes checked at once: about one per core keeps each check quick.
CONCURRENT_CHECKS: Final = 4
# The development password, which production refuses whatever the hash.
DEV_PASSWORD: Final = "password"  # noqa: S105

# The hash of the documented development password, DEV_PASSWORD; it protects
# nothing, and production refuses to start with it or any hash of it.
DEV_BASIC_AUTH_USERS: Final[Mapping[str, str]] = {
    "alice": "scrypt:32768:8:1$BF2ZsDjMpUPyaiVk$4fb6521fb54f10a55fc0049fec7e6bcf6f54"
    "41f59e97a891486fb2fbe689ac6dff206cbdc75ab08b6a27b393c7569a910ab86d5177c90ca7a"
    "c06f793a35bcdb2",
}


def _password_hashes(users: dict[str, str]) -> dict[str, str]:
    # Werkzeug hashes look like "method$salt$hash"; a plain password does not.
    for user, hashed in users.items():
        if (
            not user
            or hashed.count("$") != 2
            or not hashed.startswith(("scrypt:", "pbkdf2:"))
        ):
            raise ValueError("each user needs a werkzeug password hash, not a password")
    return users


def _realm(value: str) -> str:
    # The realm is sent inside a quoted header parameter.
    if not value.isprintable() or set('"\\') & set(value):
        raise ValueError("must be printable text without quotes or backslashes")
    return value


class AuthSettings(Settings):
    """Who may sign in with Basic credentials, and the realm they are asked for."""

    BASIC_AUTH_USERS: Annotated[
        dict[str, str],
        AfterValidator(_password_hashes),
        Secret(required_in_production=True),
    ] = Field(default_factory=lambda: dict(DEV_BASIC_AUTH_USERS))
    BASIC_AUTH_REALM: Annotated[str, AfterValidator(_realm)] = Field(
        default_factory=lambda: service().name
    )
    # Sign-ins that may wait for a check; more at once are a 503.
    AUTH_MAX_WAITING: Annotated[int, Field(ge=0)] = 64

    def production_problems(self) -> list[str]:
        """A user whose password is still the documented development one."""
        return [
            f"BASIC_AUTH_USERS: {user}'s password is the development one"
            for user, hashed in self.BASIC_AUTH_USERS.items()
            if check_password_hash(hashed, DEV_PASSWORD)
        ]


@dataclass(frozen=True)
class Authorization:
    """What an ``Authorization`` header says: its scheme and, for Basic, who."""

    scheme: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_authorization(header: str | None) -> Authorization:
    """Parse an ``Authorization`` header; malformed Basic credentials give no user."""
    if not header:
        return Authorization()
    scheme, _, token = header.strip().partition(" ")
    scheme = scheme.lower()
    if scheme != "basic":
        return Authorization(scheme or None)
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # bad base64, non-ASCII, or not UTF-8
        return Authorization(scheme)
    username, colon, password = decoded.partition(":")  # the password may hold ":"
    if not colon or not username:
        return Authorization(scheme)
    return Authorization(scheme, username, password)


class PasswordBook:
    """Users and their password hashes; ``verify`` says who a request is.

    A check is a slow hash, on purpose. At most ``CONCURRENT_CHECKS`` run at
    once, in worker threads, and at most ``max_waiting`` more wait for their
    turn; beyond that a check is refused at once with a 503 (``BusyError``),
    so a flood of sign-ins, right or wrong, never queues for minutes.
    """

    def __init__(self, hashes: Mapping[str, str], max_waiting: int = 64) -> None:
        self._hashes = dict(hashes)
        # Checked for unknown users, so that they cost the same as known ones.
        self._decoy = next(iter(self._hashes.values()), None)
        self._running = asyncio.Semaphore(CONCURRENT_CHECKS)
        self._waiting = 0
        self._max_waiting = max_waiting

    async def verify(self, authorization: Authorization) -> str | None:
        """The user name when the Basic credentials are right, else ``None``."""
        if authorization.username is None or authorization.password is None:
            return None
        stored = self._hashes.get(authorization.username)
        expected = stored or self._decoy
        if expected is None:
            return None
        if self._running.locked() and self._waiting >= self._max_waiting:
            raise APIError(
                503,
                "Too many sign-ins at once; retry shortly.",
                headers={"Retry-After": "1"},
            )
        self._waiting += 1
        try:
            await self._running.acquire()
        finally:
            self._waiting -= 1
        try:
            matches = await asyncio.to_thread(
                check_password_hash, expected, authorization.password
            )
        finally:
            self._running.release()
        return authorization.username if matches and stored is not None else None


def init_app(app: Quart) -> None:
    """Give the app its password book, from ``BASIC_AUTH_USERS``."""
    app.extensions[EXTENSION] = PasswordBook(
        app.config["BASIC_AUTH_USERS"], app.config["AUTH_MAX_WAITING"]
    )


def password_book() -> PasswordBook:
    """The current app's password book."""
    book: PasswordBook = current_app.extensions[EXTENSION]
    return book


async def authenticated_user(headers: Headers) -> str | None:
    """The user whose valid Basic credentials ``headers`` carry, if any."""
    authorization = parse_authorization(headers.get("Authorization"))
    return await password_book().verify(authorization)


async def require_user(headers: Headers) -> str:
    """The authenticated user, or a 401 with the Basic challenge."""
    user = await authenticated_user(headers)
    if user is None:
        realm = current_app.config["BASIC_AUTH_REALM"]
        raise APIError(
            401,
            "Valid Basic credentials are required.",
            headers={"WWW-Authenticate": f'Basic realm="{realm}", charset="UTF-8"'},
        )
    return user
