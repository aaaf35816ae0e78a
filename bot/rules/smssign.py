"""Whether a post really comes from the team's phone, and is fresh.

SmsForwarder signs each post as `sign = URL-encode(base64(HMAC-SHA256(key = secret,
message = f"{ts}\\n{secret}")))`, `ts` being its clock in milliseconds. The sign covers
the time only, not the SMS, so it proves that whoever sent the post knew the secret at
about `ts`, nothing more: a captured post could be replayed with any text for as long as
its sign is accepted. Hence the window of `FRESH_FOR` seconds, and the keys the caller
remembers for that window (`replay_key`) and for the sender-and-text dedupe
(`content_key`).

Other senders put the secret itself in an `Authorization: Bearer` header. Both are
compared in constant time. The current time is a parameter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from enum import Enum
from urllib.parse import quote, unquote

from bot.rules.smsposts import SmsPost

FRESH_FOR = 300  # seconds either side of the server's clock a post's time may be
SAME_CONTENT_FOR = 600  # seconds in which the same sender and text again is a duplicate

# Each key starts with what it is for, so a replay key can never equal a content key.
_REPLAY_TAG = b"teamotp.sms.replay\x00"
_CONTENT_TAG = b"teamotp.sms.content\x00"


class Verdict(Enum):
    OK = "ok"
    MISSING = "missing"  # neither a sign nor a bearer token
    WRONG = "wrong"  # a sign or token that does not match, or a sign without a time
    STALE = "stale"  # right credentials, but the post's time is outside the window


def sign(secret: str, ts_ms: int) -> str:
    """The sign SmsForwarder sends for `ts_ms` with `secret`: URL-encoded, as it arrives."""
    return quote(_signature(secret, ts_ms), safe="")


def verify(post: SmsPost, secret: str, now_ms: int) -> Verdict:
    """Whether `post` carries the relay's credentials and is fresh at `now_ms`.

    A signed post needs its time; its sign may arrive URL-encoded once or already decoded,
    also with each `+` turned into a space by a form decoder. A post with no sign needs
    the secret as its bearer token; its time, when given, is checked too (without one the
    server's `now` is its time). The sign is checked before the time, so STALE always
    means the sender knew the secret: a phone whose clock is off, or a replay.

    Raises ValueError for an empty secret: a relay always has one, and an empty one would
    let in anyone who signs with an empty key.
    """
    if not secret:
        raise ValueError("a relay secret is never empty")
    if post.sign is not None:
        if post.ts_ms is None:
            return Verdict.WRONG
        received = _plain_sign(post.sign)
        expected = _signature(secret, post.ts_ms)
        if received is None or not hmac.compare_digest(received, expected.encode()):
            return Verdict.WRONG
        return Verdict.OK if _fresh(post.ts_ms, now_ms) else Verdict.STALE
    if post.bearer is not None:
        if not hmac.compare_digest(_utf8(post.bearer), secret.encode()):
            return Verdict.WRONG
        if post.ts_ms is not None and not _fresh(post.ts_ms, now_ms):
            return Verdict.STALE
        return Verdict.OK
    return Verdict.MISSING


def replay_key(post: SmsPost) -> bytes | None:
    """What identifies a signed post's credentials: its time and its sign, the sign in one
    spelling however it arrived, so a replay that re-encodes the sign is still the same.
    None for a post without a sign, or without the time a sign needs (`verify` finds it
    WRONG): a bearer token is the secret itself, no more spent by one use than before, and
    `content_key` catches such a post sent twice.

    The bytes are the input of a keyed digest, not a value to keep: the caller must HMAC
    them with a server key (storage does) and store only that digest, for FRESH_FOR
    seconds. Stored alongside the post's `content_key` digest, it tells a retry of the
    same post (answer as before, do nothing) from another post under the same sign
    (refused).
    """
    if post.sign is None or post.ts_ms is None:
        return None
    plain = _plain_sign(post.sign)
    spelled = plain if plain is not None else _utf8(post.sign)
    return b"%s%d\n%s" % (_REPLAY_TAG, post.ts_ms, spelled)


def content_key(post: SmsPost) -> bytes:
    """What makes two posts the same SMS: the sender (case aside) and the text (surrounding
    space aside), for dropping the same SMS again within SAME_CONTENT_FOR seconds.

    The bytes hold the SMS text: they are only the input of a keyed digest. The caller
    must HMAC them with a server key (storage does) and never store or log them raw; an
    unkeyed hash would not do either, as a six-digit code in a known template is a
    million guesses away.
    """
    sender = _utf8(post.sender.casefold())
    text = _utf8(post.text.strip())
    # The sender's length first, so no sender/text split can be read two ways.
    return b"%s%d:%s\n%s" % (_CONTENT_TAG, len(sender), sender, text)


def _signature(secret: str, ts_ms: int) -> str:
    key = secret.encode()
    mac = hmac.new(key, f"{ts_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


def _plain_sign(received: str) -> bytes | None:
    """The base64 text of a sign however it arrived, or None when it cannot be one.

    Base64 has no `%` and no space: a `%` means one URL-encoding to undo, a space a `+`
    that a form decoder took for one.
    """
    text = received
    if "%" in text:
        try:
            text = unquote(text, errors="strict")
        except UnicodeDecodeError:
            return None
    text = text.replace(" ", "+")
    if not text.isascii():
        return None
    return text.encode("ascii")


def _utf8(value: str) -> bytes:
    """A post's value as bytes, even one with a lone surrogate (`read_post` leaves none; a
    post built elsewhere might): such bytes are no valid UTF-8, so they equal no secret."""
    return value.encode("utf-8", "surrogatepass")


def _fresh(ts_ms: int, now_ms: int) -> bool:
    return abs(now_ms - ts_ms) <= FRESH_FOR * 1000
