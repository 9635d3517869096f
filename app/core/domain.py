"""Errors that services raise: they say what went wrong, not which status it is.

Services know nothing about HTTP. ``app/core/errors.py`` maps each class here to a
status (``NotFoundError`` → 404, ``StaleVersionError`` → 412, ``ConflictError``
→ 409, ``UpstreamError`` → 502, ``UpstreamTimeoutError`` → 504), so a service
can be called from a view, a CLI command or a test alike.
"""

from __future__ import annotations


class DomainError(Exception):
    """A service refused a request; the message is safe to show to the caller."""


class NotFoundError(DomainError):
    """The thing asked for does not exist."""


class ConflictError(DomainError):
    """The request conflicts with what is stored."""


class StaleVersionError(ConflictError):
    """The caller's version of the thing is not the stored one (a lost update)."""


class UpstreamError(DomainError):
    """A service this one depends on failed or broke its contract."""


class UpstreamTimeoutError(UpstreamError):
    """A service this one depends on did not answer in time."""
