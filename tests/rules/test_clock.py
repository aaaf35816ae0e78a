"""How a time is labelled in the team's zone: by its offset from UTC, which no two zones
read differently (an abbreviation like CST would)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.rules.clock import stamped, zone_name

WINTER = datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC)
SUMMER = datetime(2026, 7, 1, 0, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "at", "label"),
    [
        ("UTC", WINTER, "UTC"),
        ("Asia/Shanghai", WINTER, "UTC+8"),
        ("Asia/Kolkata", WINTER, "UTC+5:30"),
        ("America/St_Johns", WINTER, "UTC-3:30"),
        ("Europe/London", WINTER, "UTC"),
        ("Europe/London", SUMMER, "UTC+1"),
    ],
)
def test_a_zone_is_named_by_its_offset_at_that_moment(zone: str, at: datetime, label: str) -> None:
    assert zone_name(ZoneInfo(zone), at) == label


def test_a_time_is_shown_in_the_zone_and_labelled() -> None:
    assert stamped(WINTER, ZoneInfo("Asia/Shanghai")) == "2026-01-01 08:00:05 UTC+8"
    assert stamped(WINTER) == "2026-01-01 00:00:05 UTC"
