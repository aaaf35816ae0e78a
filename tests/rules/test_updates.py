"""Each update is handled once, whichever replica gets it and however often Telegram
sends it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

from bot.rules.services import Services
from bot.rules.updates import FORGET_EVERY, KEPT_FOR, Updates
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
    clock.advance(FORGET_EVERY)
    assert services.updates.first_time(5)  # Telegram no longer has it: the row went


def test_of_replicas_taking_the_same_updates_at_once_exactly_one_takes_each(
    clock: Clock, tmp_path: Path, database_url: str
) -> None:
    """Four replicas (stores of their own) and two threads in each, all taking the same
    ids at the same moment: each id is taken once, whoever wins."""
    stores = [open_test_store(tmp_path, database_url) for _ in range(4)]
    try:
        replicas = [Updates(store, clock) for store in stores for _ in range(2)]
        start = Barrier(len(replicas))

        def take_all(updates: Updates) -> list[int]:
            start.wait()
            return [update_id for update_id in range(100, 140) if updates.first_time(update_id)]

        with ThreadPoolExecutor(len(replicas)) as pool:
            taken = [update_id for won in pool.map(take_all, replicas) for update_id in won]
        assert sorted(taken) == list(range(100, 140))
    finally:
        for store in stores:
            store.close()
