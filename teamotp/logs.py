"""Logging that cannot print the bot token.

The HTTP client logs every request URL, and Bot API URLs contain the token.
Scrubbing happens when a record is created, so every handler (a file, the
console, a test's capture) only ever sees the scrubbed text.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable
from typing import Any

REDACTED = "<redacted>"


class _RedactingFactory:
    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped
        self.secrets: set[str] = set()

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.wrapped(*args, **kwargs)
        if not self.secrets:
            return record
        message = self._scrub(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = self._scrub("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return record

    def _scrub(self, message: str) -> str:
        for secret in self.secrets:
            message = message.replace(secret, REDACTED)
        return message


def redact(secrets: Iterable[str]) -> None:
    """Scrub these strings from every log record from now on (idempotent)."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _RedactingFactory):
        factory = _RedactingFactory(factory)
        logging.setLogRecordFactory(factory)
    factory.secrets.update(s for s in secrets if s)


def configure(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One line per long poll is noise at INFO; the URLs are scrubbed either way.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
