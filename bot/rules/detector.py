"""Finding authenticator secrets in what people type, in the shapes they type them.

Every message this finds a secret in is deleted (rule 4), so it reads text the way a
person sees it: a secret in quotes or brackets, with a full stop after it, in
full-width letters, with invisible zero-width characters inside, dashed, or spaced
in groups as sites print it (`JBSW Y3DP EHPK 3PXP`), anywhere in the text; and any
`otpauth://` link.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from bot.rules.names import looks_like_secret, plain

_LINK = re.compile(r"otpauth(?:-migration)?://", re.IGNORECASE)
# What can be part of a secret as printed (dashed groups included); anything else (spaces,
# quotes, punctuation, "=" padding, CJK text) stands between words.
_WORD = re.compile(r"[A-Za-z0-9-]+")
_GROUP = re.compile(r"[A-Za-z2-7]+")
_SPACE = re.compile(r"\s+")
_LETTER = re.compile(r"[A-Za-z]")
_DIGIT = re.compile(r"[2-7]")

# Sites print secrets in groups of four; some of three to eight. Shorter "groups" would
# make ordinary sentences read as secrets.
_GROUP_SIZES = range(3, 9)
_MIN_GROUPED_CHARS = 16  # 80 bits, the shortest secret accepted


def carries_secret(text: str) -> bool:
    """Whether anything in `text` reads as an authenticator secret or an otpauth link."""
    folded = _folded(text)
    if _LINK.search(folded):
        return True
    words = list(_words(folded))
    if any(_holds_secret(word) for word, _ in words):
        return True
    return any(_grouped_secret(run) for run in _runs(words))


def is_secret_alone(text: str) -> bool:
    """Whether `text` is one secret and nothing else (in quotes, grouped, or not): what
    follows `/secret add` when the name was left out, even when the secret's first
    group would pass for a name (`/secret add KRSX G5CT MVRX EZLU`)."""
    core = plain(text)
    if looks_like_secret(core):
        return True
    groups = core.split()
    return all(_GROUP.fullmatch(group) for group in groups) and _grouped_secret(groups, whole=True)


def _holds_secret(word: str) -> bool:
    """The word, or a part of it between dashes (`amazon-JBSWY3DPEHPK3PXP`), is a secret."""
    return looks_like_secret(word) or (
        "-" in word and any(looks_like_secret(part) for part in word.split("-"))
    )


def _folded(text: str) -> str:
    """NFKC (full-width letters become ASCII) without zero-width characters."""
    normal = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in normal if unicodedata.category(ch) != "Cf")


def _words(folded: str) -> Iterator[tuple[str, str]]:
    """Each word with what stands between it and the word before; a word right after
    "@" is a username, not a secret, and stands alone."""
    end = 0
    for found in _WORD.finditer(folded):
        before = folded[end : found.start()]
        end = found.end()
        if before.endswith("@"):
            yield "", "@"
            continue
        yield found.group(), before


def _runs(words: list[tuple[str, str]]) -> Iterator[list[str]]:
    """Runs of base32 words with only spaces between them: a secret in groups."""
    run: list[str] = []
    for word, before in words:
        if run and (_SPACE.fullmatch(before) is None or not _GROUP.fullmatch(word)):
            yield run
            run = []
        if _GROUP.fullmatch(word):
            run.append(word)
    if run:
        yield run


def _grouped_secret(groups: list[str], *, whole: bool = False) -> bool:
    """Whether a run of groups holds a secret as sites print one: two or more groups of
    one size (the last may be shorter), at least 80 bits together, and a group that
    mixes letters and digits, as random base32 does and words rarely do. `whole`: the
    secret must be the whole run."""
    start = 0
    while start < len(groups) - 1:
        size = len(groups[start])
        same = start + 1
        while same < len(groups) and len(groups[same]) == size:
            same += 1
        stop = same + 1 if same < len(groups) and len(groups[same]) < size else same
        block = groups[start:stop]
        if (
            size in _GROUP_SIZES
            and len(block) >= 2
            and sum(len(group) for group in block) >= _MIN_GROUPED_CHARS
            and any(_LETTER.search(group) and _DIGIT.search(group) for group in block)
        ):
            return not whole or len(block) == len(groups)
        if whole:
            return False
        start = same  # a shorter last group may begin the next run of groups
    return False
