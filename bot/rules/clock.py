"""Time as a parameter: every rule reads the clock it was given, so tests move time
instead of waiting for it (as pyotp's `totp.at(for_time)`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], float]  # unix seconds, like time.time


def utc(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)
