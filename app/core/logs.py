"""Log lines, text or JSON (``LOG_FORMAT``), each with its request's id.

The server configures logging (``hypercorn.toml``'s ``[logconfig_dict]``):
its handler writes through this module's ``Formatter`` and ``RequestIdFilter``,
for Hypercorn's own lines, the app's loggers (``app``, ``app.*``) and any
library's warnings. The app chooses the shape: ``init_app`` reads
``LOG_FORMAT`` once per process, since the server builds its formatters
after the app and the format must not depend on which came first.

- ``"text"`` (the default)::

      2026-11-28 18:30:00,123 INFO app.core.cache: cache skipped: ... 3f2a...

- ``"json"``: one object per line, for a log shipper::

      {"time": "2026-11-28T18:30:00.123Z", "level": "INFO", "logger": "app",
       "message": "...", "request_id": "3f2a..."}

  with ``exception`` (the traceback) when there is one, and the access
  line's ``method``, ``path``, ``status`` and ``duration_ms``.

A line written while a request is served ends with (text) or carries (JSON)
that request's id: the request-id middleware (``app.core.request_log``)
sets ``request_id`` for the request's tasks, and ``RequestIdFilter`` copies
it onto each record as ``record.request_id``, where your own formatters can
use it too (``%(request_id)s``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from json.encoder import encode_basestring_ascii as _quoted
from typing import Any, Final, Literal

from quart import Quart

from app.core.settings import Settings

# The request being served by this task and the tasks it started.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# Fields of an access record that JSON lines carry as their own keys.
ACCESS_FIELDS: Final = ("method", "path", "status", "duration_ms")


class LogSettings(Settings):
    """The shape of every log line (see the module's docstring)."""

    LOG_FORMAT: Literal["text", "json"] = "text"


class _Choice:
    """The process's format: logging is configured once per process, not per app."""

    json = False


_choice = _Choice()


def init_app(app: Quart) -> None:
    """Write this process's log lines in the app's ``LOG_FORMAT``."""
    _choice.json = app.config["LOG_FORMAT"] == "json"


class RequestIdFilter(logging.Filter):
    """Put the id of the request being served, or None, on each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


class Formatter(logging.Formatter):
    """A text line ending with the request id, or a JSON object, per ``LOG_FORMAT``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        identifier = getattr(record, "request_id", None)
        trace = self._trace(record)
        if _choice.json:
            fields = {
                k: getattr(record, k) for k in ACCESS_FIELDS if hasattr(record, k)
            }
            if trace:
                fields["exception"] = trace
            return json_line(
                record.created,
                record.levelname,
                record.name,
                record.message,
                identifier,
                fields,
            )
        record.asctime = self.formatTime(record)
        line = self.formatMessage(record)
        if identifier:
            line += f" {identifier}"
        return f"{line}\n{trace}" if trace else line

    def _trace(self, record: logging.LogRecord) -> str:
        parts = []
        if record.exc_info:
            record.exc_text = record.exc_text or self.formatException(record.exc_info)
        if record.exc_text:
            parts.append(record.exc_text)
        if record.stack_info:
            parts.append(self.formatStack(record.stack_info))
        return "\n".join(parts)


def json_line(
    created: float,
    level: str,
    logger: str,
    message: str,
    identifier: str | None,
    fields: dict[str, Any] | None = None,
) -> str:
    """One log line as a JSON object: the shape of every JSON line the kit writes."""
    line: dict[str, Any] = {
        "time": UTC_TIME.stamp(created),
        "level": level,
        "logger": logger,
        "message": message,
    }
    if identifier is not None:
        line["request_id"] = identifier
    if fields:
        line.update(fields)
    return json.dumps(line, default=str)


def access_json_line(
    created: float,
    method: str,
    path: str,
    status: int,
    duration_ms: float,
    identifier: str,
) -> str:
    """``json_line`` of an access line, put together by hand: one per request.

    A fraction of ``json.dumps``'s cost (docs/benchmark.md). The strings
    that may hold what JSON escapes are escaped; the id is checked by the
    request-id middleware. ``tests/core/test_logs.py`` holds it to ``json_line``.
    """
    message = f"{method} {path} {status} {duration_ms:.2f}ms"
    return (
        f'{{"time": "{UTC_TIME.stamp(created)}", "level": "INFO", '
        f'"logger": "app.access", "message": {_quoted(message)}, '
        f'"request_id": "{identifier}", "method": {_quoted(method)}, '
        f'"path": {_quoted(path)}, "status": {status}, '
        f'"duration_ms": {round(duration_ms, 2)!r}}}'
    )


class Clock:
    """Timestamps with milliseconds in one format, each second rendered once.

    An access line is written per request; ``strftime`` for each would cost
    more than the rest of the line.
    """

    def __init__(
        self,
        seconds: str,
        broken_down: Callable[[float], time.struct_time],
        milliseconds: str,
    ) -> None:
        self._seconds = seconds
        self._broken_down = broken_down
        self._milliseconds = milliseconds
        self._last: tuple[int, str] = (-1, "")

    def stamp(self, moment: float) -> str:
        """``moment`` (seconds since the epoch) in this clock's format."""
        second = int(moment)
        last, text = self._last
        if second != last:
            text = time.strftime(self._seconds, self._broken_down(second))
            self._last = (second, text)
        return text + self._milliseconds % int((moment - second) * 1000)


# logging's default, in local time: 2026-11-28 18:30:00,123 (text lines).
LOCAL_TIME: Final = Clock("%Y-%m-%d %H:%M:%S", time.localtime, ",%03d")
# ISO 8601 in UTC: 2026-11-28T18:30:00.123Z (JSON lines).
UTC_TIME: Final = Clock("%Y-%m-%dT%H:%M:%S", time.gmtime, ".%03dZ")
