"""Each update is handled once, whichever replica gets it and however often Telegram
sends it."""

from __future__ import annotations

from pathlib import Path

from bot.rules.services import Services
from bot.rules.updates import KEPT_FOR, Updates
from tests.conftest import Clock, open_test_store


def test_an_update_is_taken_the_first_time_only(services: Services) -> None:
    assert services.updates.first_time(1001)
    assert not services.updates.first_time(1001)
    assert services.updates.first_time(1002)


def test_an_update_taken_by_one_replica_is_dropped_by_another(
    services: Services, clock: Clock, tmp_path: Path, database_url: str
) -> None:
    other_store = open_test_store(tmp_path, database_url)
    try:
        other = Updates(other_store, clock)
        assert services.updates.first_time(7)
        assert not other.first_time(7)
        assert other.first_time(8)
        assert not services.updates.first_time(8)
    finally:
        other_store.close()


def test_an_update_taken_before_a_restart_is_dropped_after_it(
    services: Services, clock: Clock, tmp_path: Path, database_url: str
) -> None:
    assert services.updates.first_time(42)
    reopened = open_test_store(tmp_path, database_url)
    try:
        assert not Updates(reopened, clock).first_time(42)
    finally:
        reopened.close()


def test_update_ids_are_forgotten_after_a_day(services: Services, clock: Clock) -> None:
    assert services.updates.first_time(5)
    clock.advance(KEPT_FOR - 1)
    assert services.updates.first_time(6)  # and id 5 is still kept
    assert not services.updates.first_time(5)
    clock.advance(2)
    assert services.updates.first_time(5)  # Telegram no longer has it: the row went
