"""Time as a parameter: every rule reads the clock it was given, so tests move time
instead of waiting for it (as pyotp's `totp.at(for_time)`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

Clock = Callable[[], float]  # unix seconds, like time.time


def utc(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def zone_name(zone: tzinfo, at: datetime) -> str:
    """How a time of `zone` is labelled: `UTC`, or its offset from it at `at` (`UTC+8`,
    `UTC-3:30`). An offset, not an abbreviation: `CST` is China's and America's."""
    offset = at.astimezone(zone).utcoffset()
    minutes = 0 if offset is None else int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    hours, rest = divmod(minutes, 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def stamped(at: datetime, zone: tzinfo = UTC, form: str = "%Y-%m-%d %H:%M:%S") -> str:
    """`at` as the team reads the time: in its zone, labelled (`2026-03-01 16:00:05 UTC+8`)."""
    return f"{at.astimezone(zone).strftime(form)} {zone_name(zone, at)}"
