"""Logging that cannot print the bot token, an authenticator secret, nor what users wrote.

ONE filter, `SecretFilter`, sees every record of every logger (ours, the Telegram
library's, the HTTP client's, SQLAlchemy's) when the record is made, before any handler
(a file, the console, a test's capture) sees it. A filter on a handler or on one logger
would miss the handlers and loggers it is not attached to, so it is installed as the
record factory: no record exists without having passed through it.

It does, in this order:

- a `telegram.*` record keeps its arguments only when they are plain numbers, method
  or class names or short plain words; an `Update` shows its id, and anything else
  (parameters, results, message text) becomes `<content omitted>`: python-telegram-bot
  at DEBUG logs every update it receives, and an update may carry a secret (rule 3);
- in the formatted message and in the exception's text (traceback included) of every
  record: the bot token, any `otpauth://` or `otpauth-migration://` link, and anything
  shaped like a base32 seed of 16 characters or more (plain, spaced or dashed, upper or
  lower case) become `<redacted>`. The HTTP client logs every request URL, and Bot API
  URLs contain the token; an exception's text may quote what a person typed.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

REDACTED = "<redacted>"
OMITTED = "<content omitted>"

# Loggers of the Telegram library: they log updates and API payloads at DEBUG.
_CONTENT_LOGGERS = ("telegram",)
# Text arguments kept as they are: method and class names, and the library's own short
# prefixes ("Network Retry Loop (Polling Updates):"). No digits allowed: a base32 secret
# almost always has some (2-7), and the library's payloads (JSON, reprs) always do.
_SAFE_TEXT = re.compile(r"[A-Za-z ():._-]{1,80}")

# An authenticator link, up to the first character that cannot be in a URL.
_LINK = re.compile(r"otpauth(?:-migration)?:/*[^\s'\"<>]*", re.IGNORECASE)
# A base32 seed as a person types it: one run, or groups of 2 to 8 separated by one space
# or dash. Its letters (and its length) are checked by `_looks_like_seed`.
_SEED_SHAPE = re.compile(r"[A-Za-z2-7]+(?:[ -][A-Za-z2-7]{2,8}(?![A-Za-z2-7]))*")
SEED_MIN_LENGTH = 16


def _looks_like_seed(candidate: str) -> bool:
    """16 or more base32 characters that are not just words: a seed nearly always holds a
    digit; one typed without any is taken when it is all in capitals. Groups must be
    separated evenly, as apps show them: "jbsw y3dp ..."; a sentence has short words."""
    letters = candidate.replace(" ", "").replace("-", "")
    if len(letters) < SEED_MIN_LENGTH:
        return False
    groups = re.split(r"[ -]", candidate)
    if len(groups) > 1 and len({len(g) for g in groups[:-1]}) != 1:
        return False
    has_digit = any(c in "234567" for c in letters)
    return has_digit or (letters.isupper() and len(groups) == 1)


def scrub(message: str, secrets: Iterable[str] = ()) -> str:
    """`message` without the given secrets, authenticator links or seed-shaped text."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            message = message.replace(secret, REDACTED)
    message = _LINK.sub(REDACTED, message)
    return _SEED_SHAPE.sub(_redact_seed, message)


def _redact_seed(found: re.Match[str]) -> str:
    """The seed-shaped parts of a run of words: a seed on its own ("rename JBSW...P amazon"),
    or groups of one length, the last maybe shorter ("key jbsw y3dp ... 3pxp")."""
    pieces = re.split(r"([ -])", found.group(0))
    words, seps = pieces[0::2], pieces[1::2]
    secret = [False] * len(words)
    i = 0
    while i < len(words):
        if _looks_like_seed(words[i]):
            secret[i] = True
            i += 1
            continue
        j = i + 1
        while j < len(words) and len(words[j]) == len(words[i]):
            j += 1
        end = j + 1 if j < len(words) and len(words[j]) < len(words[i]) else j
        grouped = "".join(pieces[2 * i : 2 * end - 1])
        if end - i > 1 and _looks_like_seed(grouped):
            secret[i:end] = [True] * (end - i)
        # Fewer of the same groups hold fewer letters and digits: none of them can pass.
        i = max(i + 1, j if end - i > 1 else i + 1)
    shown = words[0] if not secret[0] else REDACTED
    for k in range(1, len(words)):
        if secret[k] and secret[k - 1]:
            continue
        shown += seps[k - 1] + (REDACTED if secret[k] else words[k])
    return shown


class SecretFilter(logging.Filter):
    """The one filter every record passes; as the record factory it wraps the previous one."""

    def __init__(self, wrapped: Any) -> None:
        super().__init__()
        self.wrapped = wrapped
        self.secrets: set[str] = set()

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.wrapped(*args, **kwargs)
        self.filter(record)
        return record

    def filter(self, record: logging.LogRecord) -> bool:
        if _from_content_logger(record.name) and record.args:
            record.args = _without_content(record.args)
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call must not break the code that made it
            message = f"{record.msg} (arguments omitted: they do not fit the message)"
        record.msg, record.args = scrub(message, self.secrets), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = scrub(
                "".join(traceback.format_exception(*record.exc_info)).rstrip("\n"),
                self.secrets,
            )
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info, self.secrets)
        return True


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


def install() -> SecretFilter:
    """Make every record from now on pass the filter (idempotent); return it."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, SecretFilter):
        factory = SecretFilter(factory)
        logging.setLogRecordFactory(factory)
    return factory


def redact(secrets: Iterable[str]) -> None:
    """Also scrub these strings (the bot token) from every record from now on, however a
    URL spells them: the HTTP client logs a file download's URL with the token's colon
    percent-encoded. Of a token ("123:AA..."), the part after the colon is the secret."""
    wanted = install().secrets
    for secret in secrets:
        if not secret:
            continue
        wanted.update({secret, quote(secret, safe=""), quote(secret)})
        _, colon, private = secret.partition(":")
        if colon and len(private) >= 8:
            wanted.update({private, quote(private, safe="")})


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str, formatter: logging.Formatter | None = None) -> None:
    """Records of `level` and above to stderr, as `formatter` (by default `FORMAT`) says
    them: a server command's own says the store's lines in the operator's language."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter or logging.Formatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
    # One line per long poll is noise at INFO; the URLs are scrubbed either way.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # Every SQL statement at DEBUG is noise; errors still come through.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    # Alembic tells of every step of a migration; storage.schema says what was upgraded.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    install()
