"""`for 30m|8h|3d` as the last two words of /add: how long a grant lasts.

Only that one form is read: a whole number in ASCII digits and a unit, `m`, `h` or `d`
in either case (or 分钟, 小时, 天, as Chinese-speaking admins write them). Anything else
with `for` in it (`for` elsewhere, `for 8x`, `for 8h.`, a lone `for`) is refused with the
expected form, never read as account names or as no end at all: a grant meant to end
must not quietly become one that never does. (`for8h` is one word: as an account name
that does not exist, it is refused too.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from bot.rules.errors import InvalidInput
from bot.rules.terms import LONGEST, check_term

KEYWORD = "for"
_UNITS = {
    "m": timedelta(minutes=1),
    "分钟": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "小时": timedelta(hours=1),
    "d": timedelta(days=1),
    "天": timedelta(days=1),
}
# More digits than the longest term in minutes has: no int() of a pasted novel.
_DIGITS = len(str(int(LONGEST.total_seconds() // 60))) + 1
_AMOUNT = re.compile(rf"([0-9]{{1,{_DIGITS}}})(m|h|d|分钟|小时|天)", re.IGNORECASE)


def split_duration(words: Sequence[str]) -> tuple[list[str], timedelta | None]:
    """The words before `for N{m,h,d}` (account names) and the duration (None: none
    was asked for). Raises `InvalidInput` for a duration that is not one."""
    names = list(words)
    tries = [i for i, word in enumerate(names) if _is_keyword(word)]
    if not tries:
        return names, None
    if tries != [len(names) - 2]:
        raise InvalidInput("grants.bad_duration")
    found = _AMOUNT.fullmatch(names[-1])
    if found is None:
        raise InvalidInput("grants.bad_duration")
    lasting = int(found.group(1)) * _UNITS[found.group(2).lower()]
    check_term(lasting)
    return names[:-2], lasting


def _is_keyword(word: str) -> bool:
    return word.casefold() == KEYWORD
