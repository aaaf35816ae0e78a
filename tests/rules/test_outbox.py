"""Notices are stored before they are sent: one a replica could not send (it died, or
Telegram was unreachable) is sent by another, once, and none is sent twice."""

from __future__ import annotations

from pathlib import Path

from bot.rules.clock import Clock as ClockType
from bot.rules.outbox import HOLD, RETRY_AFTER, STALE_AFTER, Outbox
from storage.store import Store
from tests.conftest import Clock, open_test_store


def outbox(store: Store, clock: ClockType, holder: str = "replica-1") -> Outbox:
    return Outbox(store, clock, holder)


def test_a_held_notice_is_not_given_to_anyone_else(store: Store, clock: Clock) -> None:
    sender = outbox(store, clock)
    (held,) = sender.hold([(11, "<b>hello</b>")])
    assert (held.chat_id, held.body) == (11, "<b>hello</b>")
    other = outbox(store, clock, "replica-2")
    assert other.orphans() == []
    clock.advance(HOLD - 1)
    assert other.orphans() == []


def test_a_process_never_takes_back_a_notice_it_is_still_sending(
    store: Store, clock: Clock
) -> None:
    sender = outbox(store, clock)
    sender.hold([(11, "slow")])
    clock.advance(HOLD * 2)  # however long its send takes, it does not send it again
    assert sender.orphans() == []
    assert [o.body for o in outbox(store, clock, "replica-2").orphans()] == ["slow"]


def test_a_notice_telegram_did_not_take_is_tried_again_soon_by_anyone(
    store: Store, clock: Clock
) -> None:
    sender = outbox(store, clock)
    (held,) = sender.hold([(11, "hello")])
    sender.retry([held.id])
    assert sender.orphans() == []
    clock.advance(RETRY_AFTER)
    assert [o.body for o in sender.orphans()] == ["hello"]


def test_a_sent_notice_is_never_sent_again(store: Store, clock: Clock) -> None:
    sender = outbox(store, clock)
    (held,) = sender.hold([(11, "hello")])
    sender.sent([held.id])
    clock.advance(HOLD * 10)
    assert sender.orphans() == []


def test_a_replica_that_dies_before_sending_leaves_the_notice_to_another(
    store: Store, clock: Clock, tmp_path: Path, database_url: str
) -> None:
    outbox(store, clock).hold([(11, "one"), (12, "two")])  # ...and then it dies
    other_store = open_test_store(tmp_path, database_url)
    try:
        other = outbox(other_store, clock, "replica-2")
        clock.advance(HOLD)
        orphans = other.orphans()
        assert [(o.chat_id, o.body) for o in orphans] == [(11, "one"), (12, "two")]
        assert outbox(store, clock, "replica-3").orphans() == []  # the other holds them
        other.sent([o.id for o in orphans])
        clock.advance(HOLD)
        assert outbox(store, clock, "replica-3").orphans() == []
    finally:
        other_store.close()


def test_a_notice_nobody_could_send_for_a_day_is_dropped(store: Store, clock: Clock) -> None:
    outbox(store, clock).hold([(11, "old news")])
    clock.advance(STALE_AFTER + HOLD)
    assert outbox(store, clock, "replica-2").orphans() == []
    with store.transaction() as tx:
        assert tx.outbox.count() == 0
