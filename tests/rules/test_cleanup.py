"""Messages to delete later: due at their time, and reported too old once Telegram would
refuse to delete them."""

from __future__ import annotations

from pathlib import Path

from bot.rules.cleanup import HOLD, Cleanup, DueDeletion
from bot.rules.services import Services
from tests.conftest import Clock, open_test_store

CHAT = -500
HOUR = 3600.0


def due_messages(cleanup: Cleanup) -> set[tuple[int, int]]:
    return {(d.chat_id, d.message_id) for d in cleanup.due()}


def test_nothing_is_due_before_its_time(services: Services, clock: Clock) -> None:
    services.cleanup.schedule([(CHAT, 1)], clock.now + 30)
    assert services.cleanup.due() == []
    clock.advance(29.5)
    assert services.cleanup.due() == []


def test_a_message_is_due_at_its_time_and_after(services: Services, clock: Clock) -> None:
    services.cleanup.schedule([(CHAT, 1)], clock.now + 30)
    clock.advance(30)
    (due,) = services.cleanup.due()
    assert (due.chat_id, due.message_id, due.too_old) == (CHAT, 1, False)
    clock.advance(HOUR)
    assert due_messages(services.cleanup) == {(CHAT, 1)}


def test_several_messages_scheduled_together_fall_due_together(
    services: Services, clock: Clock
) -> None:
    services.cleanup.schedule([(CHAT, 1), (CHAT, 2), (42, 7)], clock.now + 30)
    services.cleanup.schedule([(CHAT, 3)], clock.now + 90)
    clock.advance(30)
    assert due_messages(services.cleanup) == {(CHAT, 1), (CHAT, 2), (42, 7)}
    clock.advance(60)
    assert due_messages(services.cleanup) == {(CHAT, 1), (CHAT, 2), (42, 7), (CHAT, 3)}


def test_a_message_overdue_by_more_than_48_hours_is_too_old_to_delete(
    services: Services, clock: Clock
) -> None:
    at = clock.now + 30
    services.cleanup.schedule([(CHAT, 1)], at)
    clock.now = at + 48 * HOUR
    (due,) = services.cleanup.due()
    assert not due.too_old
    services.cleanup.release([due.id])  # Telegram failed: tried again at the next sweep
    clock.advance(1)
    assert [d.too_old for d in services.cleanup.due()] == [True]


def test_done_deletions_are_not_due_again(services: Services, clock: Clock) -> None:
    services.cleanup.schedule([(CHAT, 1), (CHAT, 2)], clock.now)
    first, second = sorted(services.cleanup.due(), key=lambda d: d.message_id)
    services.cleanup.done([first.id])
    services.cleanup.release([second.id])
    assert services.cleanup.due() == [DueDeletion(second.id, CHAT, 2, too_old=False)]
    services.cleanup.done([second.id])
    assert services.cleanup.due() == []


def test_scheduled_deletions_outlive_a_restart(
    services: Services, clock: Clock, tmp_path: Path, database_url: str
) -> None:
    services.cleanup.schedule([(CHAT, 1)], clock.now + 30)
    clock.advance(30)
    reopened = open_test_store(tmp_path, database_url)
    try:
        assert due_messages(Cleanup(reopened, clock)) == {(CHAT, 1)}
    finally:
        reopened.close()


def test_a_deletion_one_replica_took_is_not_given_to_another(
    services: Services, clock: Clock, tmp_path: Path, database_url: str
) -> None:
    services.cleanup.schedule([(CHAT, 1), (CHAT, 2)], clock.now)
    other_store = open_test_store(tmp_path, database_url)
    try:
        other = Cleanup(other_store, clock)
        taken = due_messages(services.cleanup)
        assert taken == {(CHAT, 1), (CHAT, 2)}
        assert other.due() == []
    finally:
        other_store.close()


def test_a_replica_that_dies_holding_deletions_leaves_them_to_another_after_the_hold(
    services: Services, clock: Clock, tmp_path: Path, database_url: str
) -> None:
    services.cleanup.schedule([(CHAT, 1)], clock.now)
    assert due_messages(services.cleanup) == {(CHAT, 1)}  # ...and then it dies
    other_store = open_test_store(tmp_path, database_url)
    try:
        other = Cleanup(other_store, clock)
        clock.advance(HOLD - 1)
        assert other.due() == []
        clock.advance(1)
        assert due_messages(other) == {(CHAT, 1)}
    finally:
        other_store.close()
