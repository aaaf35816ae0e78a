"""The one-time code in an SMS, when there is exactly one.

A wrong code costs the member a failed sign-in, and a code taken from the wrong number can
be worse (a code for approving an account change, relayed as if it were a sign-in code).
So the reading is narrow, and when in doubt it does not guess:

1. Links go first (`https://…` and bare `amazon.com/…`-like ones): the digits in a link
   are never a code.
2. Only a standalone run of 4 to 8 digits can be a code. Digits joined to others by `-`,
   `.`, `,`, `:` or `/` are a date, a time, an amount or a phone number; so is a number
   after a currency sign or before a unit (`$1234`, `1234元`, `2026年`), and a run of
   space-separated groups (`+86 138 0013 8000`); digits stuck to Latin letters are an
   identifier (`AB1234`). Full-width digits read as ASCII ones.
3. The shapes of the SMS the team waits for (Amazon's in English, Japanese and Chinese;
   the common Chinese ones) are tried first, in `SHAPES`.
4. Only if none of them fits: a number within a few characters of a code word
   (code, OTP, 验证码, 認証, コード…), in the same sentence.

More than one distinct code at the step that found any: `Ambiguous`. None: `NoCode`.

Whether the SMS is about approving a change to the account (`CHANGE_MARKERS`) is read
from the whole text, links included: a false mark only holds the code for an admin's
opt-in, a missed one relays an account change like a sign-in code.

Nothing here keeps or shows the text; `Found` does not show its code in its repr.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MIN_DIGITS = 4
MAX_DIGITS = 8
MAX_GAP = 20  # characters between a code word and its number, either side

_ASCII_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

# Links: the characters of a URL are ASCII; a Chinese SMS often goes on right after one
# without a space, and that text is not part of it.
_URL_CHAR = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
_LINKS = re.compile(
    rf"https?://{_URL_CHAR}+"
    rf"|(?<![A-Za-z0-9@.\-])(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{{2,24}}"
    rf"/{_URL_CHAR}*",
    re.IGNORECASE,
)

# Digits joined by one separator: a date, time, amount, version or dashed phone number.
_NUMBER = re.compile(r"[0-9]+(?:[-.,:/][0-9]+)*")
_GROUP_SPACES = frozenset(" \u00a0")
# Before a number: a currency, a "+" (a phone number), an order number's "#" or "No.".
_BEFORE = re.compile(
    r"(?:[$¥￥€£₹+#№]|(?<![a-z])(?:usd|rmb|cny|inr|eur|jpy|hkd|rs\.?|no\.))\s?\Z", re.IGNORECASE
)
# After a number: a currency or a unit that makes it an amount or a date.
_AFTER = re.compile(
    r"\A\s?(?:[年月日号號元円块塊%％]|(?:usd|rmb|cny|inr|eur|jpy|yuan|dollars?)(?![a-z]))",
    re.IGNORECASE,
)
_LETTERS_BEFORE = re.compile(r"[A-Za-z]+\Z")
_LETTERS_AFTER = re.compile(r"\A[A-Za-z]+")

# Words that name a one-time code. Latin ones are whole words ("barcode" is none).
_CODE_WORDS = re.compile(
    r"(?<![a-z])(?:(?:pass)?codes?|otp|verification)(?![a-z])"
    r"|验证码|驗證碼|校验码|校驗碼|动态码|動態碼|认证码|認証|コード|ワンタイム",
    re.IGNORECASE,
)
# What ends a sentence: a code word and a number on either side of one are not together.
_SENTENCE_END = re.compile(r"[\n\r。！？!?;；]|\.(?!\S)")

_CODE = rf"(?P<code>[0-9]{{{MIN_DIGITS},{MAX_DIGITS}}})"
_OF_AMAZON = r"(?:verification |security |one[- ]time )?(?:pass)?code|otp|one[- ]time password"

# The shapes of the SMS the team waits for, each with a sample in the tests.
SHAPES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(shape, re.IGNORECASE)
    for shape in (
        # Amazon: Your code is 228438. Don't share it…
        rf"amazon\S{{0,8}}\s*your (?:amazon )?(?:{_OF_AMAZON}) is:?\s*{_CODE}",
        # 986728 is your Amazon OTP. Do not share it with anyone.
        rf"{_CODE} is your amazon (?:{_OF_AMAZON})",
        # 300015は、Amazonのワンタイムパスワードです。…
        rf"{_CODE}\s*は[、,]?\s*amazon\s*の\s*ワンタイムパスワード",
        # Amazon: お客様のコードは999999です。…
        rf"amazon\S{{0,8}}\s*お客様の(?:確認|認証)?コードは\s*{_CODE}",
        # 【亚马逊】您的验证码是123456，…
        rf"【亚马逊】\s*您的验证码\s*(?:是|为)\s*[:：]?\s*{_CODE}",
        # 验证码：123456 / 您的验证码为123456 / 校验码是 123456
        rf"(?:验证码|驗證碼|校验码|校驗碼)\s*(?:是|为|為)?\s*[:：]?\s*{_CODE}",
    )
)

# Signs that the code approves a change to the account rather than a sign-in.
CHANGE_MARKERS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(marker, re.IGNORECASE)
    for marker in (
        r"(?<![a-z])deny(?![a-z])",  # "If you didn't request it, deny here …"
        r"拒绝|拒絕|拒否",
        r"(?<![a-z])approv(?:e|al)(?![a-z])",
        r"批准|承認",
        r"(?<![a-z])(?:security|account)\s+settings?(?![a-z])",
        r"安全设置|安全設定|(?:账户|帐户|账号|帳戶)设置|セキュリティ設定|アカウント設定",
        r"(?<![a-z])change\s+(?:to\s+)?your\s+(?:amazon\s+)?account(?![a-z])",
        r"(?:更改|修改|变更)(?:您的)?(?:账户|帐户|账号)",
    )
)


@dataclass(frozen=True, slots=True)
class Found:
    code: str = field(repr=False)  # ASCII digits, MIN_DIGITS..MAX_DIGITS long
    for_change: bool


@dataclass(frozen=True, slots=True)
class NoCode:
    """No code in the SMS. `for_change` still matters: admins hear of an SMS about a change
    to the account even when it has no code."""

    for_change: bool = False


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """More than one number could be the code: the bot does not guess."""

    for_change: bool = False


def find_code(text: str) -> Found | NoCode | Ambiguous:
    """The code in an SMS's text, if it has exactly one."""
    for_change = any(marker.search(text) for marker in CHANGE_MARKERS)
    clean = _LINKS.sub(" ", text.translate(_ASCII_DIGITS))
    numbers = _standalone_numbers(clean)
    codes = _shaped(clean, numbers) or _near_code_words(clean, numbers)
    if not codes:
        return NoCode(for_change)
    if len(codes) > 1:
        return Ambiguous(for_change)
    return Found(next(iter(codes)), for_change)


def _shaped(clean: str, numbers: frozenset[tuple[int, int]]) -> set[str]:
    return {
        found.group("code")
        for shape in SHAPES
        for found in shape.finditer(clean)
        if found.span("code") in numbers
    }


def _near_code_words(clean: str, numbers: frozenset[tuple[int, int]]) -> set[str]:
    codes: set[str] = set()
    for word in _CODE_WORDS.finditer(clean):
        for start, end in numbers:
            if start >= word.end():
                gap = (word.end(), start)
            elif end <= word.start():
                gap = (end, word.start())
            else:
                continue
            if gap[1] - gap[0] <= MAX_GAP and not _SENTENCE_END.search(clean, *gap):
                codes.add(clean[start:end])
    return codes


def _standalone_numbers(clean: str) -> frozenset[tuple[int, int]]:
    """The spans of the numbers that could be a code."""
    found = list(_NUMBER.finditer(clean))
    in_phone_numbers = _space_grouped(clean, found)
    return frozenset(
        number.span()
        for number in found
        if number.group().isdigit()
        and MIN_DIGITS <= len(number.group()) <= MAX_DIGITS
        and number.start() not in in_phone_numbers
        and not _BEFORE.search(clean, max(0, number.start() - 8), number.start())
        and not _AFTER.search(clean[number.end() : number.end() + 12])
        and not _in_a_word(clean, *number.span())
    )


def _space_grouped(clean: str, numbers: list[re.Match[str]]) -> set[int]:
    """Starts of the numbers that are groups of a phone number written with spaces:
    three or more groups one space apart, or two after a "+"."""
    grouped: set[int] = set()
    run: list[re.Match[str]] = []
    for number in [*numbers, None]:
        if (
            number is not None
            and run
            and number.start() == run[-1].end() + 1
            and clean[run[-1].end()] in _GROUP_SPACES
        ):
            run.append(number)
            continue
        if len(run) >= 3 or (len(run) == 2 and clean[: run[0].start()].endswith("+")):
            grouped.update(member.start() for member in run)
        run = [number] if number is not None else []
    return grouped


def _in_a_word(clean: str, start: int, end: int) -> bool:
    """Digits stuck to Latin letters are an identifier (`AB1234`), unless the letters are
    a code word (`code1234`)."""
    for letters in (
        _LETTERS_BEFORE.search(clean, max(0, start - 16), start),
        _LETTERS_AFTER.search(clean[end : end + 16]),
    ):
        if letters and not _CODE_WORDS.fullmatch(letters.group()):
            return True
    return False
