"""One POST from the team's SMS-forwarding phone, read into a value.

The phone runs SmsForwarder (pppscn/SmsForwarder), which can post in two shapes: the JSON
template the setup guide gives it, and its default form body. A generic JSON body with a
bearer token serves anything else that can make an HTTP request. All three become one
`SmsPost`; whether its credentials are right is `smssign`'s question, not this one's.

The listener is reachable by anyone who finds its URL, so every body is read as a
stranger's: its size is capped before it is decoded, each field is bounded, and control
and formatting characters are taken out of the sender (it is shown to admins; a right-to-
left override in it would garble their notice). A body that cannot be read is an
`Unreadable` whose `Problem` says why, never an exception: the caller answers it with a
status code, and there is no text to leak.

The SMS text and the credentials are in no repr: the text may hold a code, the sign or
bearer is as good as the relay's secret for a while.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl

MAX_BODY = 4096  # bytes; a ten-part SMS in its JSON template is well under this
MAX_SENDER_CHARS = 64
MAX_TEXT_CHARS = 1600  # ten concatenated SMS parts of 160 characters
MAX_DEVICE_CHARS = 64
# A sign is 44 characters of base64, 48 URL-encoded; relay secrets are far shorter than
# this. Longer credentials are refused, never cut: a cut one could equal a shorter secret.
MAX_CREDENTIAL_CHARS = 256
MAX_TS_DIGITS = 15  # milliseconds up to the year 33658; a longer number is not a time

# Which field holds what, first match wins. SmsForwarder's template uses `text`, `ts` and
# `device`; its form body `content`, `timestamp` and `device_mark`. Either is read in
# either format, since people edit templates.
_SENDER_KEYS = ("from",)
_TEXT_KEYS = ("text", "content")
_TS_KEYS = ("ts", "timestamp")
_SIGN_KEYS = ("sign",)
_DEVICE_KEYS = ("device", "device_mark")
_KNOWN_KEYS = frozenset({*_SENDER_KEYS, *_TEXT_KEYS, *_TS_KEYS, *_SIGN_KEYS, *_DEVICE_KEYS})

_JSON_TYPES = frozenset({"application/json", "text/json"})
_FORM_TYPE = "application/x-www-form-urlencoded"
_MAX_FORM_FIELDS = 32
_TS_TEXT = re.compile(rf"[0-9]{{1,{MAX_TS_DIGITS}}}")
_DIGITS = "0123456789０１２３４５６７８９"  # full-width too: smscodes reads those as digits
_BEARER = re.compile(r"bearer[ \t]+(\S+)[ \t]*", re.IGNORECASE)
# Taken out of the sender and device: controls, formatting (bidi overrides, zero-width),
# line and paragraph separators, lone surrogates, private use, unassigned code points.
_UNSHOWABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


class Problem(Enum):
    """Why a body was not read. The values name the case for the audit log."""

    TOO_LARGE = "too_large"  # the body, or a credential in it, is bigger than any real one
    NOT_UTF8 = "not_utf8"  # also percent-escapes in a form that decode to no UTF-8
    NOT_JSON_OR_FORM = "not_json_or_form"  # also: a field of the wrong type, or given twice
    NO_SENDER = "no_sender"
    NO_TEXT = "no_text"
    BAD_TS = "bad_ts"  # present, but not a whole number of milliseconds


@dataclass(frozen=True, slots=True)
class Unreadable:
    problem: Problem


@dataclass(frozen=True, slots=True)
class SmsPost:
    """One SMS as the phone reported it, credentials still unchecked.

    `ts_ms` is Unix time in milliseconds as the phone's clock had it (None when the body
    gave none); a time in seconds reads as January 1970 and is stale. `sign` is exactly as
    it arrived (perhaps still URL-encoded); `bearer` is the token of an `Authorization:
    Bearer` header. Bounds are checked here too, so a post built elsewhere keeps them.
    """

    sender: str
    text: str = field(repr=False)
    ts_ms: int | None
    sign: str | None = field(repr=False)
    bearer: str | None = field(repr=False)
    device: str | None

    def __post_init__(self) -> None:
        # Messages name the field only: the value may be an SMS or a credential.
        if not self.sender or len(self.sender) > MAX_SENDER_CHARS:
            raise ValueError(f"SmsPost.sender must be 1..{MAX_SENDER_CHARS} characters")
        if not self.text or len(self.text) > MAX_TEXT_CHARS:
            raise ValueError(f"SmsPost.text must be 1..{MAX_TEXT_CHARS} characters")
        if self.ts_ms is not None and not 0 <= self.ts_ms < 10**MAX_TS_DIGITS:
            raise ValueError("SmsPost.ts_ms must be a non-negative time in milliseconds")
        for name, value in (("sign", self.sign), ("bearer", self.bearer)):
            if value is not None and not 0 < len(value) <= MAX_CREDENTIAL_CHARS:
                raise ValueError(f"SmsPost.{name} must be 1..{MAX_CREDENTIAL_CHARS} characters")
        if self.device is not None and not 0 < len(self.device) <= MAX_DEVICE_CHARS:
            raise ValueError(f"SmsPost.device must be 1..{MAX_DEVICE_CHARS} characters")


def read_post(
    content_type: str | None, body: bytes, authorization: str | None
) -> SmsPost | Unreadable:
    """The SMS in one POST body, or why there is none.

    The format is chosen by the content type (its `charset=` and other parameters are
    ignored: SmsForwarder always sends UTF-8); with none, or one that is neither JSON nor
    a form, by the body's shape. Never raises, whatever the bytes.
    """
    if len(body) > MAX_BODY:
        return Unreadable(Problem.TOO_LARGE)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Unreadable(Problem.NOT_UTF8)

    media_type = (content_type or "").partition(";")[0].strip().lower()
    fields: dict[str, Any] | Unreadable
    if media_type in _JSON_TYPES or media_type.endswith("+json"):
        fields = _json_fields(text)
    elif media_type == _FORM_TYPE:
        fields = _form_fields(text)
    elif media_type.startswith("multipart/"):  # no forwarder sends one; not parsed at all
        fields = Unreadable(Problem.NOT_JSON_OR_FORM)
    elif text.lstrip().startswith("{"):
        fields = _json_fields(text)
    elif "=" in text:
        fields = _form_fields(text)
    else:
        fields = Unreadable(Problem.NOT_JSON_OR_FORM)
    if isinstance(fields, Unreadable):
        return fields
    return _post(fields, authorization)


def _json_fields(text: str) -> dict[str, Any] | Unreadable:
    try:
        value = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError):  # also a key given twice, NaN, a huge integer
        return Unreadable(Problem.NOT_JSON_OR_FORM)
    if not isinstance(value, dict):
        return Unreadable(Problem.NOT_JSON_OR_FORM)
    return value


def _no_constant(name: str) -> None:
    raise ValueError("NaN and Infinity are not JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; one that names a field twice is refused, so no two readers of the
    same body can disagree about which value counts."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError("a key given twice")
        found[key] = value
    return found


def _form_fields(text: str) -> dict[str, Any] | Unreadable:
    """`+` is a space and percent-escapes are UTF-8, as in any HTML form."""
    try:
        pairs = parse_qsl(
            text, keep_blank_values=True, errors="strict", max_num_fields=_MAX_FORM_FIELDS
        )
    except UnicodeDecodeError:
        return Unreadable(Problem.NOT_UTF8)
    except ValueError:  # more fields than any forwarder sends
        return Unreadable(Problem.NOT_JSON_OR_FORM)
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in _KNOWN_KEYS and key in found:
            return Unreadable(Problem.NOT_JSON_OR_FORM)
        found[key] = value
    return found


def _post(fields: dict[str, Any], authorization: str | None) -> SmsPost | Unreadable:
    raw: dict[str, str | int | None] = {}
    for keys in (_SENDER_KEYS, _TEXT_KEYS, _SIGN_KEYS, _DEVICE_KEYS, _TS_KEYS):
        value = next((fields[key] for key in keys if fields.get(key) is not None), None)
        allowed = (str, int) if keys is _TS_KEYS else (str,)
        if value is not None and (isinstance(value, bool) or not isinstance(value, allowed)):
            return Unreadable(Problem.BAD_TS if keys is _TS_KEYS else Problem.NOT_JSON_OR_FORM)
        raw[keys[0]] = _whole(value) if isinstance(value, str) else value

    sender = _showable(_str(raw["from"]), MAX_SENDER_CHARS)
    if not sender:
        return Unreadable(Problem.NO_SENDER)
    text = _str(raw["text"])
    if not text.strip():
        return Unreadable(Problem.NO_TEXT)
    ts_ms = _ts(raw["ts"])
    if isinstance(ts_ms, Unreadable):
        return ts_ms
    # Not stripped: a form decoder may have turned a leading "+" of the sign into a space.
    sign_text = _str(raw["sign"])
    sign = sign_text if sign_text.strip() else None
    bearer = _bearer(authorization)
    if any(len(c) > MAX_CREDENTIAL_CHARS for c in (sign or "", bearer or "")):
        return Unreadable(Problem.TOO_LARGE)
    return SmsPost(
        sender=sender,
        text=_bounded_text(text),
        ts_ms=ts_ms,
        sign=sign,
        bearer=bearer,
        device=_showable(_str(raw["device"]), MAX_DEVICE_CHARS) or None,
    )


def _whole(value: str) -> str:
    """`value` with any lone surrogate (a JSON `\\ud800` escape, half an emoji) made a
    U+FFFD, so every field encodes as UTF-8 wherever it goes next."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _str(value: str | int | None) -> str:
    return value if isinstance(value, str) else ""


def _ts(value: str | int | None) -> int | Unreadable | None:
    """Milliseconds from a JSON number or a string of digits; blank means none given."""
    if isinstance(value, int):
        if 0 <= value < 10**MAX_TS_DIGITS:
            return value
        return Unreadable(Problem.BAD_TS)
    if value is None or not value.strip():
        return None
    if not _TS_TEXT.fullmatch(value.strip()):
        return Unreadable(Problem.BAD_TS)
    return int(value.strip())


def _bearer(authorization: str | None) -> str | None:
    """The token of `Bearer <token>`; another scheme is no bearer at all."""
    if authorization is None:
        return None
    found = _BEARER.fullmatch(authorization.strip())
    return _whole(found.group(1)) if found else None


def _showable(value: str, limit: int) -> str:
    """`value` with what cannot be shown on one line taken out, runs of spaces made one,
    cut to `limit` characters."""
    kept = "".join(" " if ch.isspace() else ch for ch in value if not _unshowable(ch))
    return " ".join(kept.split())[:limit].rstrip()


def _unshowable(ch: str) -> bool:
    return unicodedata.category(ch) in _UNSHOWABLE and ch not in "\t\n\r"


def _bounded_text(text: str) -> str:
    """At most MAX_TEXT_CHARS, and never a number cut in two: a cut code would be a wrong
    one, so a number the cut would split is left out whole."""
    if len(text) <= MAX_TEXT_CHARS:
        return text
    cut = text[:MAX_TEXT_CHARS]
    if text[MAX_TEXT_CHARS] in _DIGITS:
        cut = cut.rstrip(_DIGITS)
    return cut if cut.strip() else text[:MAX_TEXT_CHARS]  # all one number: no code anyway
