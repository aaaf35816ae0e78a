"""SmsForwarder's signature, the bearer alternative, freshness, and the keys that catch a
replayed sign or the same SMS twice."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
from urllib.parse import quote, unquote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.rules.smsposts import SmsPost
from bot.rules.smssign import (
    FRESH_FOR,
    Verdict,
    content_key,
    replay_key,
    sign,
    verify,
)

SECRET = "this is secret"
TS = 1700000000000
# Whose base64 sign has a "+" and a "/": the spellings that transports change.
TS_WITH_PLUS = 1700000000001
SIGNED = "aOZ0Y/R7BCg4xs87AcG5MYf26YmwfVRTLD0z3X+p/mM="


def signed(ts: int = TS, sign_as_sent: str | None = None, **changes: object) -> SmsPost:
    post = SmsPost(
        sender="Amazon",
        text="Amazon: Your code is 228438. Don't share it.",
        ts_ms=ts,
        sign=sign(SECRET, ts) if sign_as_sent is None else sign_as_sent,
        bearer=None,
        device=None,
    )
    return dataclasses.replace(post, **changes)  # type: ignore[arg-type]


def bearing(token: str | None, ts: int | None = None) -> SmsPost:
    """A generic post: no sign, `token` in its Authorization header."""
    return dataclasses.replace(signed(), sign=None, bearer=token, ts_ms=ts)


# --- the sign -----------------------------------------------------------------------------


def test_the_sign_matches_the_published_test_vector() -> None:
    assert sign("this is secret", 1700000000000) == "sSFWELbV2YwjdDQhWZwTcWlX5BWUx5J6TPpsZmuPii0%3D"


def test_the_sign_is_what_the_app_computes() -> None:
    """SmsForwarder: URLEncoder.encode(Base64(HmacSHA256(secret, ts + "\\n" + secret)))."""
    mac = hmac.new(SECRET.encode(), f"{TS_WITH_PLUS}\n{SECRET}".encode(), hashlib.sha256)
    assert base64.b64encode(mac.digest()).decode() == SIGNED
    assert sign(SECRET, TS_WITH_PLUS) == quote(SIGNED, safe="")
    assert sign(SECRET, TS_WITH_PLUS) == "aOZ0Y%2FR7BCg4xs87AcG5MYf26YmwfVRTLD0z3X%2Bp%2FmM%3D"


@pytest.mark.parametrize(
    "as_sent",
    [
        quote(SIGNED, safe=""),  # URL-encoded once, as in the JSON template
        SIGNED,  # already decoded
        SIGNED.replace("+", " "),  # decoded, then its "+" taken for a space by a form decoder
        quote(SIGNED, safe="+/"),  # encoded by a library that leaves "+" and "/" alone
    ],
)
def test_a_right_sign_verifies_however_it_arrived(as_sent: str) -> None:
    post = signed(TS_WITH_PLUS, as_sent)
    assert verify(post, SECRET, now_ms=TS_WITH_PLUS) is Verdict.OK


@pytest.mark.parametrize(
    "as_sent",
    [
        quote(quote(SIGNED, safe=""), safe=""),  # encoded twice: once is what the app does
        SIGNED[:-1],
        SIGNED.lower(),
        "%FF" + SIGNED,
        "%ZZ",
        "签名",
        "\udc80",
    ],
)
def test_a_sign_spelled_otherwise_is_wrong(as_sent: str) -> None:
    assert verify(signed(TS_WITH_PLUS, as_sent), SECRET, TS_WITH_PLUS) is Verdict.WRONG


def test_a_sign_made_with_another_secret_is_wrong() -> None:
    post = signed(sign_as_sent=sign("another secret", TS))
    assert verify(post, SECRET, TS) is Verdict.WRONG


def test_a_sign_for_another_time_is_wrong() -> None:
    post = signed(ts=TS + 1, sign_as_sent=sign(SECRET, TS))
    assert verify(post, SECRET, TS) is Verdict.WRONG


def test_a_sign_without_a_time_is_wrong() -> None:
    assert verify(signed(ts_ms=None), SECRET, TS) is Verdict.WRONG


@pytest.mark.parametrize("offset_s", [0, 1, -1, FRESH_FOR, -FRESH_FOR])
def test_a_signed_post_within_the_window_is_fresh(offset_s: int) -> None:
    assert verify(signed(), SECRET, now_ms=TS + offset_s * 1000) is Verdict.OK


@pytest.mark.parametrize("offset_ms", [FRESH_FOR * 1000 + 1, -FRESH_FOR * 1000 - 1, 86_400_000])
def test_a_signed_post_outside_the_window_is_stale(offset_ms: int) -> None:
    assert verify(signed(), SECRET, now_ms=TS + offset_ms) is Verdict.STALE


def test_a_wrong_sign_is_wrong_even_when_stale() -> None:
    """STALE says the sender knew the secret; a wrong sign never gets to say so."""
    post = signed(sign_as_sent=sign("another secret", TS))
    assert verify(post, SECRET, now_ms=TS + 10 * FRESH_FOR * 1000) is Verdict.WRONG


def test_a_time_in_seconds_is_stale() -> None:
    seconds = TS // 1000
    assert verify(signed(ts=seconds), SECRET, now_ms=TS) is Verdict.STALE


# --- the bearer token ---------------------------------------------------------------------


def test_the_secret_as_bearer_token_is_enough_without_a_time() -> None:
    assert verify(bearing(SECRET), SECRET, TS) is Verdict.OK


def test_a_bearer_posts_time_when_given_is_checked_too() -> None:
    assert verify(bearing(SECRET, ts=TS - 1000), SECRET, TS) is Verdict.OK
    assert verify(bearing(SECRET, ts=TS - FRESH_FOR * 1000 - 1), SECRET, TS) is Verdict.STALE


@pytest.mark.parametrize("token", ["this is secre", "this is secret ", "THIS IS SECRET", "x"])
def test_another_bearer_token_is_wrong(token: str) -> None:
    assert verify(bearing(token, ts=TS), SECRET, TS) is Verdict.WRONG


def test_a_bearer_token_with_a_lone_surrogate_is_wrong_not_an_error() -> None:
    assert verify(bearing(SECRET + "\udc80"), SECRET, TS) is Verdict.WRONG


def test_a_wrong_sign_is_not_saved_by_a_right_bearer_token() -> None:
    """A post is judged by the credential the phone is set up to send: its sign."""
    post = signed(sign_as_sent=sign("another secret", TS), bearer=SECRET)
    assert verify(post, SECRET, TS) is Verdict.WRONG


def test_a_post_with_neither_sign_nor_token_is_missing_its_credentials() -> None:
    assert verify(bearing(None, ts=TS), SECRET, TS) is Verdict.MISSING
    assert verify(bearing(None), SECRET, TS) is Verdict.MISSING


def test_credentials_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # smssign looks it up on each call
    assert verify(signed(), SECRET, TS) is Verdict.OK
    assert verify(bearing("guess"), SECRET, TS) is Verdict.WRONG
    assert compared == [
        (unquote(sign(SECRET, TS)).encode(), unquote(sign(SECRET, TS)).encode()),
        (b"guess", SECRET.encode()),
    ]


def test_an_empty_secret_is_refused_not_matched() -> None:
    with pytest.raises(ValueError, match="never empty"):
        verify(signed(sign_as_sent=sign("", TS)), "", TS)


# --- what the caller remembers ------------------------------------------------------------


def test_a_replayed_sign_has_one_replay_key_however_it_is_spelled() -> None:
    spellings = [
        quote(SIGNED, safe=""),
        SIGNED,
        SIGNED.replace("+", " "),
        quote(SIGNED, safe="+/"),
    ]
    keys = {replay_key(signed(TS_WITH_PLUS, spelled)) for spelled in spellings}
    assert len(keys) == 1
    assert None not in keys


def test_replay_keys_differ_by_time_and_sign() -> None:
    assert replay_key(signed(TS)) != replay_key(signed(TS + 1))
    assert replay_key(signed(TS)) != replay_key(signed(TS, sign(SECRET, TS + 1)))


def test_a_replay_key_does_not_depend_on_the_sms() -> None:
    """The sign covers only the time: another text under the same sign is the same
    credentials used again, which is what the key must catch."""
    assert replay_key(signed()) == replay_key(signed(text="another SMS", sender="Bank"))


def test_a_post_without_a_sign_has_no_replay_key() -> None:
    assert replay_key(bearing(SECRET, ts=TS)) is None


def test_a_content_key_is_the_sender_and_the_text() -> None:
    post = signed()
    assert content_key(post) == content_key(signed(TS + 5000, sender="AMAZON", device="x"))
    assert content_key(post) == content_key(signed(text=f"  {post.text}\n"))
    assert content_key(post) != content_key(signed(text=post.text + "!"))
    assert content_key(post) != content_key(signed(sender="Amazon2"))


def test_content_and_replay_keys_never_coincide() -> None:
    post = signed()
    replay = replay_key(post)
    assert replay is not None
    assert content_key(post).split(b"\x00")[0] != replay.split(b"\x00")[0]


SENDER = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)


@given(first=st.tuples(SENDER, TEXT), second=st.tuples(SENDER, TEXT))
def test_different_smses_never_share_a_content_key(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    def normal(sms: tuple[str, str]) -> tuple[str, str]:
        return sms[0].casefold(), sms[1].strip()

    a = signed(sender=first[0], text=first[1])
    b = signed(sender=second[0], text=second[1])
    assert (content_key(a) == content_key(b)) == (normal(first) == normal(second))


# --- properties ---------------------------------------------------------------------------

SECRETS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=64)
TIMES = st.integers(min_value=0, max_value=10**15 - 1)
WITHIN = st.integers(min_value=-FRESH_FOR * 1000, max_value=FRESH_FOR * 1000)
BEYOND = st.integers(min_value=FRESH_FOR * 1000 + 1, max_value=10**13)


@given(secret=SECRETS, ts=TIMES, offset=WITHIN)
def test_a_sign_made_by_sign_verifies_within_the_window(secret: str, ts: int, offset: int) -> None:
    assert verify(signed(ts, sign(secret, ts)), secret, ts + offset) is Verdict.OK


@given(secret=SECRETS, ts=TIMES, offset=BEYOND, later=st.booleans())
def test_a_sign_made_by_sign_never_verifies_outside_the_window(
    secret: str, ts: int, offset: int, later: bool
) -> None:
    now = ts + offset if later else ts - offset
    assert verify(signed(ts, sign(secret, ts)), secret, now) is Verdict.STALE


@given(secret=SECRETS, other=SECRETS, ts=TIMES)
def test_a_sign_made_with_another_secret_never_verifies(secret: str, other: str, ts: int) -> None:
    assume(other != secret)
    assert verify(signed(ts, sign(other, ts)), secret, ts) is Verdict.WRONG


@given(secret=SECRETS, ts=TIMES)
def test_every_spelling_of_a_sign_gives_its_replay_key(secret: str, ts: int) -> None:
    encoded = sign(secret, ts)
    plain = unquote(encoded)
    keys = {replay_key(signed(ts, s)) for s in (encoded, plain, plain.replace("+", " "))}
    assert len(keys) == 1
