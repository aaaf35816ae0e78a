"""The secret detector reads a secret in every shape people type it (issue 7).

Hypothesis draws a secret and a way of writing it: upper or lower case, whole, dashed
or in groups of three to eight, in full-width letters, with zero-width characters
inside, in quotes or brackets of any script, with a full stop or comma after it, and
with text around it. Each shape must be found by the gate's detector, be recognised
as a secret alone after `/secret add`, and parse to the same secret.
"""

from __future__ import annotations

import base64
import re
import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.rules.detector import carries_secret, is_secret_alone
from bot.rules.names import looks_like_secret
from bot.rules.otp import parse_secret

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
WRAPPERS = [
    ("", ""),
    ('"', '"'),
    ("'", "'"),
    ("`", "`"),
    ("“", "”"),
    ("‘", "’"),
    ("「", "」"),
    ("『", "』"),
    ("【", "】"),
    ("《", "》"),
    ("＂", "＂"),
    ("（", "）"),
    ("(", ")"),
    ("[", "]"),
    ("<", ">"),
]
AFTER = ["", ".", ",", "!", "?", ";", ":", "…", "。", "，", "、", "！", "\u200b", ".\u200b"]
SPACES = [" ", "  ", "\u00a0", "\u3000", "\n", " \n"]
AROUND = [
    ("", ""),
    ("/secret add amazon-us ", ""),
    ("/code ", ""),
    ("key: ", " thanks"),
    ("密钥是", "，谢谢"),
    ("here it is\n", "\nplease add it"),
]


def b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


def grouped(secret: str, size: int, space: str) -> str:
    return space.join(secret[i : i + size] for i in range(0, len(secret), size))


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


@st.composite
def shapes(draw: st.DrawFn) -> tuple[str, str]:
    """A secret (canonical) and one way a person might type it, without text around."""
    secret = b32(draw(st.binary(min_size=10, max_size=40)))
    # Random base32 almost always has a digit (2-7); a secret without one is not claimed.
    assume(re.search("[2-7]", secret))
    shown = secret.lower() if draw(st.booleans()) else secret
    layout = draw(st.sampled_from(["whole", "dashed", "grouped"]))
    if layout == "dashed":
        shown = grouped(shown, 4, "-")
    elif layout == "grouped":
        size = draw(st.integers(min_value=3, max_value=8))
        shown = grouped(shown, size, draw(st.sampled_from(SPACES)))
        # A run of groups is claimed when one group mixes letters and digits, as random
        # base32 does (words rarely do).
        assume(any(re.search("[A-Za-z]", g) and re.search("[2-7]", g) for g in shown.split()))
    if draw(st.booleans()):
        shown = full_width(shown)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(shown)))
        shown = shown[:at] + draw(st.sampled_from(ZERO_WIDTH)) + shown[at:]
    opener, closer = draw(st.sampled_from(WRAPPERS))
    return secret, f"{opener}{shown}{closer}{draw(st.sampled_from(AFTER))}"


@given(shape=shapes(), around=st.sampled_from(AROUND))
def test_a_secret_in_any_shape_is_found_anywhere_in_a_message(
    shape: tuple[str, str], around: tuple[str, str]
) -> None:
    _, typed = shape
    before, after = around
    assert carries_secret(f"{before}{typed}{after}")


@given(shape=shapes())
def test_a_secret_in_any_shape_reads_as_a_secret_alone(shape: tuple[str, str]) -> None:
    """What follows `/secret add` when the name was left out, so no account is named
    after the secret's first group."""
    _, typed = shape
    assert is_secret_alone(typed)


@given(shape=shapes())
def test_a_secret_in_any_shape_parses_to_the_secret(shape: tuple[str, str]) -> None:
    """The parser reads what the detector finds: `/secret add NAME "SECRET".` adds it."""
    secret, typed = shape
    assert parse_secret(typed).secret == secret


@given(shape=shapes(), name=st.sampled_from(["amazon-us", "美国站", "shop_1", "ebay-de-2"]))
def test_a_name_before_the_secret_is_not_taken_for_part_of_it(
    shape: tuple[str, str], name: str
) -> None:
    _, typed = shape
    assert not is_secret_alone(f"{name} {typed}")


@given(shape=shapes())
def test_a_secret_in_a_name_s_place_is_never_taken_for_a_name(shape: tuple[str, str]) -> None:
    _, typed = shape
    assume(len(typed.split()) == 1)
    assert looks_like_secret(typed)


@given(text=st.text(max_size=200))
def test_text_without_a_digit_from_2_to_7_never_reads_as_a_secret(text: str) -> None:
    """Every base32 secret of 80 bits or more the detector claims has such a digit, so
    words alone, in any script, are never taken for one."""
    assume(not re.search("[2-7]", unicodedata.normalize("NFKC", text)))
    assume("otpauth" not in unicodedata.normalize("NFKC", text).lower())
    assert not carries_secret(text)


@pytest.mark.parametrize(
    "text",
    [
        "please send me the amazon code",
        "area code 2345 wait for me",
        "meet at 7 pm in room 2345",
        "order 123456789 shipped",
        "iphone 15 pro max 256gb",
        "价格是 2345 元",
        "/add @amazonsellerhk23",
        "/code amazon-us-2",
        "/secret rename shop ebay-2",
        "my-shop-2-europe-site",
        "storefront2europe",
        "JBSW Y3DP",  # half of an 80-bit secret is not one
        "ab 2c de 3f gh 4i jk 5l",  # groups of two would make sentences secrets
    ],
)
def test_ordinary_messages_are_not_secrets(text: str) -> None:
    assert not carries_secret(text)


@pytest.mark.parametrize(
    "text",
    [
        "otpauth://totp/Shop?secret=JBSWY3DPEHPK3PXP",
        "OTPAUTH-MIGRATION://offline?data=abc",
        "see https://example.com/?secret=JBSWY3DPEHPK3PXP",
        "amazon-JBSWY3DPEHPK3PXP",
        "JBSWY3DPEHPK3PXP====",
        "ＪＢＳＷＹ３ＤＰＥＨＰＫ３ＰＸＰ",
    ],
)
def test_links_and_secrets_glued_to_other_text_are_found(text: str) -> None:
    assert carries_secret(text)


def test_a_secret_after_an_at_sign_is_a_username_not_a_secret() -> None:
    assert not carries_secret("@jbswy3dpehpk3pxp")


@pytest.mark.parametrize(
    ("text", "alone"),
    [
        ("KRSX G5CT MVRX EZLU", True),
        ("krsx g5ct mvrx ezlu on2x s3tu", True),
        ('"KRSX G5CT MVRX EZLU"', True),
        ('KRSX "G5CT MVRX EZLU"', False),  # quotes set the secret apart from a name
        ("shop JBSWY3DPEHPK3PXP", False),
        ("amazon-us JBSW Y3DP EHPK 3PXP", False),
        ("JBSW Y3DP", False),
    ],
)
def test_a_run_of_groups_after_add_is_a_secret_without_a_name(text: str, alone: bool) -> None:
    assert is_secret_alone(text) is alone
