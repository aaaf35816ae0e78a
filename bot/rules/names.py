"""Account names: what is allowed, and when two names are the same."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

from bot.rules.errors import InvalidInput, InvalidSecret
from bot.rules.otp import parse_secret, unwrap

MAX_NAME_LENGTH = 32
# \w is Unicode-aware: letters of any script (so 美国站 works), digits, underscore.
_NAME = re.compile(r"[\w-]{1,32}")
# A secret as sites print it: base32 letters and digits, maybe in dashed groups.
_SECRET_LIKE = re.compile(r"[A-Za-z2-7-]{16,}")
_BASE32_DIGIT = re.compile(r"[2-7]")


def check_name(raw: str) -> str:
    """Return the name as it will be shown, or refuse it."""
    name = unicodedata.normalize("NFC", raw.strip())
    if "://" in name or looks_like_secret(name):
        # Most likely `/secret add SECRET` with the name left out: never echo it back.
        raise InvalidInput("account.name_like_secret")
    if not _NAME.fullmatch(name):
        # Not quoted back: what failed the check may be anything, a mangled secret too.
        raise InvalidInput("account.bad_name", max=MAX_NAME_LENGTH)
    return name


def looks_like_secret(typed: str) -> bool:
    """Whether a word reads as an authenticator secret of at least 80 bits: 16 or more
    base32 characters with a digit among them (a name rarely is; a secret almost always),
    maybe in dashed groups of four as sites print them (`amazon-us-2-shop` is a name).

    Read as a person sees it: in quotes or brackets, with a full stop after it, in
    full-width letters or with invisible zero-width characters inside, it is the same."""
    word = plain(typed)
    if not _SECRET_LIKE.fullmatch(word) or not _BASE32_DIGIT.search(word):
        return False
    *groups, last = word.split("-")
    if groups and (any(len(g) != 4 for g in groups) or not 1 <= len(last) <= 4):
        return False
    try:
        parse_secret(word)
    except InvalidSecret:
        return False
    return True


def plain(typed: str) -> str:
    """What a person reads in `typed`: full-width letters folded to ASCII (NFKC), without
    zero-width characters, and unwrapped from quotes, brackets and a trailing full stop."""
    folded = unicodedata.normalize("NFKC", typed)
    return unwrap("".join(ch for ch in folded if unicodedata.category(ch) != "Cf"))


def echoable(typed: str) -> bool:
    """Whether what someone typed as an account name may be repeated in a reply, the audit
    log or a notice: a possible name (at most 32 characters), not a link or what reads as
    a secret (rule 3: a seed pasted where a name belongs must not come back)."""
    try:
        check_name(typed)
    except InvalidInput:
        return False
    return True


def shown(typed: str) -> str:
    """What a reply may say of a typed name that matched nothing."""
    return typed if echoable(typed) else "…"


def name_key(name: str) -> str:
    """Names are unique without regard to case: `Amazon-US` and `amazon-us` are one account."""
    return unicodedata.normalize("NFC", name.strip()).casefold()


IMPORTED_FALLBACK = "account"
_NAME_CHAR = re.compile(r"[\w-]")
_DASHES = re.compile(r"-{2,}")


def imported_name(issuer: str | None, label: str | None, taken: Collection[str]) -> str:
    """A name for an account added without one (a QR code, a Google Authenticator export):
    its issuer, else its label, folded to what `check_name` allows, else "account"; made
    unique against `taken` (existing `name_key` values) with -2, -3… An admin can rename it,
    so readable beats faithful. A word that reads as a secret is never used as a name."""
    base = next(
        (
            folded
            for folded in (_fold(issuer or ""), _fold(label or ""))
            if folded and not looks_like_secret(folded)
        ),
        IMPORTED_FALLBACK,
    )
    number = 1
    while True:  # ends: `taken` is finite, and "-10", "-11"… cannot read as a secret
        suffix = f"-{number}" if number > 1 else ""
        name = base[: MAX_NAME_LENGTH - len(suffix)].rstrip("-") + suffix
        # A suffix can make a harmless name read as a secret ("abcd-efgh-…-uvwx-23").
        if name_key(name) not in taken and not looks_like_secret(name):
            return name
        number += 1


def _fold(text: str) -> str:
    """Lower case, with every run of characters a name cannot hold made one "-"."""
    # NFKC makes full-width letters (from CJK input methods) and ligatures plain ones.
    lowered = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text).lower())
    kept = "".join(
        ch if _NAME_CHAR.fullmatch(ch) else "-"
        for ch in lowered
        # A combining mark left without a letter to join is dropped, not made a dash.
        if not unicodedata.category(ch).startswith("M")
    )
    return _DASHES.sub("-", kept).strip("-")[:MAX_NAME_LENGTH].rstrip("-")
