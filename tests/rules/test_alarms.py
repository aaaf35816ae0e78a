"""Owners hear of a kind of failure at most once in ten minutes; another kind at once."""

from __future__ import annotations

from bot.rules.alarms import ALARM_INTERVAL, Alarms
from tests.conftest import Clock


def test_same_kind_is_told_once_per_interval_and_another_kind_at_once() -> None:
    clock = Clock()
    alarms = Alarms(clock)
    first = alarms.failed("OperationalError")
    assert first is not None
    assert first.at == clock.now
    clock.advance(ALARM_INTERVAL - 1)
    assert alarms.failed("OperationalError") is None
    assert alarms.failed("ValueError") is not None
    clock.advance(1)
    assert alarms.failed("OperationalError") is not None
    assert alarms.last is not None
    assert alarms.last.kind == "OperationalError"
