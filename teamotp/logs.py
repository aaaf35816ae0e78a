"""Logging that cannot print the bot token, nor what users wrote.

The HTTP client logs every request URL, and Bot API URLs contain the token.
python-telegram-bot, at DEBUG, logs every update it receives and the parameters
and results of every API call: an update may carry an authenticator secret
(rule 3). So, when a record is created, before any handler (a file, the
console, a test's capture) sees it:

- the token is replaced by `<redacted>`;
- a `telegram.*` record keeps its arguments only when they are plain numbers,
  method or class names or short plain words; an `Update` shows its id, and
  anything else (parameters, results, message text) becomes `<content omitted>`.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "<redacted>"
OMITTED = "<content omitted>"

# Loggers of the Telegram library: they log updates and API payloads at DEBUG.
_CONTENT_LOGGERS = ("telegram",)
# Text arguments kept as they are: method and class names, and the library's own short
# prefixes ("Network Retry Loop (Polling Updates):"). No digits allowed: a base32 secret
# almost always has some (2-7), and the library's payloads (JSON, reprs) always do.
_SAFE_TEXT = re.compile(r"[A-Za-z ():._-]{1,80}")


class _RedactingFactory:
    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped
        self.secrets: set[str] = set()

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.wrapped(*args, **kwargs)
        if _from_content_logger(record.name) and record.args:
            record.args = _without_content(record.args)
        if not self.secrets:
            return record
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call must not break the code that made it
            message = f"{record.msg} (arguments omitted: they do not fit the message)"
        record.msg, record.args = self._scrub(message), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = self._scrub("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return record

    def _scrub(self, message: str) -> str:
        for secret in self.secrets:
            message = message.replace(secret, REDACTED)
        return message


def _from_content_logger(name: str) -> bool:
    return any(name == root or name.startswith(f"{root}.") for root in _CONTENT_LOGGERS)


def _without_content(args: Any) -> Any:
    if isinstance(args, tuple):
        return tuple(_safe_argument(a) for a in args)
    if isinstance(args, Mapping):  # for "%(name)s": every name still formats, no value shows
        return {key: OMITTED for key in args}
    return OMITTED


def _safe_argument(value: object) -> object:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and _SAFE_TEXT.fullmatch(value):
        return value
    if _is_update(value):
        return f"Update(update_id={getattr(value, 'update_id', '?')})"
    if isinstance(value, BaseException):
        return type(value).__name__
    return OMITTED


def _is_update(value: object) -> bool:
    """A `telegram.Update`, told apart without importing the library: the command line's
    `accounts` commands configure logging too, and need no Telegram library."""
    kind = type(value)
    return kind.__name__ == "Update" and kind.__module__.partition(".")[0] == "telegram"


def redact(secrets: Iterable[str]) -> None:
    """Scrub these strings from every log record from now on (idempotent); also keep
    what users wrote out of the Telegram library's records."""
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
    # Every SQL statement at DEBUG is noise; errors still come through.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    redact([])
