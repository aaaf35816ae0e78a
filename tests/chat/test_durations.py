"""`for 30m|8h|3d` at the end of /add: read exactly, or refused with the expected form."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.chat.durations import split_duration
from bot.rules.errors import InvalidInput


@pytest.mark.parametrize(
    ("words", "names", "lasting"),
    [
        ([], [], None),
        (["amazon-us", "ebay"], ["amazon-us", "ebay"], None),
        (["for", "30m"], [], timedelta(minutes=30)),
        (["for", "8h"], [], timedelta(hours=8)),
        (["FOR", "8H"], [], timedelta(hours=8)),
        (["amazon-us", "for", "3d"], ["amazon-us"], timedelta(days=3)),
        (["for", "90d"], [], timedelta(days=90)),
        (["for", "2160h"], [], timedelta(days=90)),
        (["for", "1m"], [], timedelta(minutes=1)),
        (["for", "08h"], [], timedelta(hours=8)),
        (["for", "8小时"], [], timedelta(hours=8)),
        (["for", "30分钟"], [], timedelta(minutes=30)),
        (["美国站", "for", "3天"], ["美国站"], timedelta(days=3)),
    ],
)
def test_a_duration_at_the_end_is_read(
    words: list[str], names: list[str], lasting: timedelta | None
) -> None:
    assert split_duration(words) == (names, lasting)


@pytest.mark.parametrize(
    "words",
    [
        ["for"],
        ["amazon-us", "for"],
        ["for", "8x"],
        ["for", "8h."],
        ["for", "h"],
        ["for", "8"],
        ["for", "0m"],
        ["for", "91d"],
        ["for", "129601m"],
        ["for", "99999999999999999999d"],
        ["for", "-8h"],
        ["for", "8.5h"],
        ["for", "８h"],  # full-width digits: not guessed at
        ["for", "8h", "amazon-us"],  # the duration goes last
        ["for", "8h", "for", "8h"],
        ["for", "8", "h"],
    ],
)
def test_anything_else_with_for_is_refused(words: list[str]) -> None:
    with pytest.raises(InvalidInput, match="grants.bad_duration"):
        split_duration(words)
