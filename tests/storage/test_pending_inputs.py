"""The table of what the bot waits for from each person: one row per person, kept across a
reopen of the store, and expired rows forgotten on request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.store import Store
from tests.conftest import open_test_store

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def ask(store: Store, user_id: int, awaiting: str, subject: str, deadline: datetime) -> None:
    with store.transaction() as tx:
        tx.pending.put(user_id=user_id, awaiting=awaiting, subject=subject, deadline=deadline)


def held(store: Store, user_id: int) -> tuple[str, str, datetime] | None:
    with store.transaction() as tx:
        row = tx.pending.get(user_id)
        return None if row is None else (row.awaiting, row.subject, row.deadline)


def test_a_question_is_kept_with_its_deadline_in_utc(store: Store) -> None:
    ask(store, 7, "secret", "amazon-us", LATER)
    assert held(store, 7) == ("secret", "amazon-us", LATER)
    assert held(store, 8) is None


def test_a_new_question_replaces_the_old_one(store: Store) -> None:
    ask(store, 7, "secret", "amazon-us", NOW)
    ask(store, 7, "rename", "12", LATER)
    assert held(store, 7) == ("rename", "12", LATER)
    with store.transaction() as tx:
        assert list(tx.pending.user_ids()) == [7]


def test_a_question_survives_reopening_the_store(
    store: Store, tmp_path: Path, database_url: str
) -> None:
    ask(store, 7, "secret", "美国站", LATER)
    store.close()
    reopened = open_test_store(tmp_path, database_url)
    try:
        assert held(reopened, 7) == ("secret", "美国站", LATER)
    finally:
        reopened.close()


def test_removing_a_question_leaves_the_others(store: Store) -> None:
    ask(store, 7, "secret", "amazon-us", LATER)
    ask(store, 8, "secret", "ebay", LATER)
    with store.transaction() as tx:
        row = tx.pending.get(7)
        assert row is not None
        tx.pending.remove(row)
    assert held(store, 7) is None
    assert held(store, 8) is not None


def test_expired_questions_are_forgotten_on_request(store: Store) -> None:
    ask(store, 7, "secret", "amazon-us", NOW)
    ask(store, 8, "secret", "ebay", LATER)
    with store.transaction() as tx:
        tx.pending.remove_expired(NOW)  # a deadline reached is past
    with store.transaction() as tx:
        assert list(tx.pending.user_ids()) == [8]
