"""What the bot waits for from someone: one question at a time, for five minutes, kept in
the store so it outlives a restart but never its deadline."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.rules.pending import LIFETIME, Question, Questions, Waiting
from storage.store import Store
from tests.conftest import Clock, open_test_store
from tests.rules.team import ADMIN, OWNER


@pytest.fixture
def questions(store: Store, clock: Clock) -> Questions:
    return Questions(store, clock)


def test_the_secret_asked_for_is_awaited_for_five_minutes(
    questions: Questions, clock: Clock
) -> None:
    asked = questions.expect_secret(ADMIN.id, "amazon-us")
    assert asked == Question(Waiting.SECRET, "amazon-us", clock.now + 300)
    assert LIFETIME == 300
    clock.advance(299)
    assert questions.current(ADMIN.id) == asked
    clock.advance(1)
    assert questions.current(ADMIN.id) is None


def test_a_question_is_only_ever_for_the_person_asked(questions: Questions) -> None:
    questions.expect_secret(ADMIN.id, "amazon-us")
    assert questions.current(OWNER.id) is None
    assert questions.take(OWNER.id) is None
    assert questions.current(ADMIN.id) is not None


def test_an_answer_ends_the_question(questions: Questions) -> None:
    questions.expect_secret(ADMIN.id, "amazon-us")
    taken = questions.take(ADMIN.id)
    assert taken is not None
    assert taken.subject == "amazon-us"
    assert questions.current(ADMIN.id) is None
    assert questions.take(ADMIN.id) is None


def test_an_answer_after_the_deadline_answers_nothing(questions: Questions, clock: Clock) -> None:
    questions.expect_secret(ADMIN.id, "amazon-us")
    clock.advance(LIFETIME)
    assert questions.take(ADMIN.id) is None
    assert questions.cancel(ADMIN.id) is False  # and it is gone


def test_a_rename_offer_replaces_the_question_before(questions: Questions, clock: Clock) -> None:
    questions.expect_secret(ADMIN.id, "amazon-us")
    questions.offer_rename(ADMIN.id, 42)
    assert questions.take(ADMIN.id) == Question(Waiting.RENAME, 42, clock.now + LIFETIME)


def test_cancel_says_whether_anything_was_awaited(questions: Questions) -> None:
    assert questions.cancel(ADMIN.id) is False
    questions.expect_secret(ADMIN.id, "amazon-us")
    assert questions.cancel(ADMIN.id) is True
    assert questions.current(ADMIN.id) is None


def test_a_question_outlives_a_restart_but_not_its_deadline(
    store: Store, tmp_path: Path, database_url: str, clock: Clock
) -> None:
    Questions(store, clock).expect_secret(ADMIN.id, "美国站")
    store.close()
    reopened = open_test_store(tmp_path, database_url)
    try:
        after_restart = Questions(reopened, clock)
        assert after_restart.waiting() == {ADMIN.id}
        found = after_restart.current(ADMIN.id)
        assert found is not None
        assert found.subject == "美国站"
        clock.advance(2 * 24 * 3600)
        assert after_restart.current(ADMIN.id) is None
    finally:
        reopened.close()


def test_waiting_lists_open_questions_and_forgets_expired_ones(
    questions: Questions, store: Store, clock: Clock
) -> None:
    questions.expect_secret(ADMIN.id, "amazon-us")
    clock.advance(200)
    questions.offer_rename(OWNER.id, 42)
    assert questions.waiting() == {ADMIN.id, OWNER.id}
    clock.advance(100)
    assert questions.waiting() == {OWNER.id}
    with store.transaction() as tx:
        assert list(tx.pending.user_ids()) == [OWNER.id]


def test_a_rotation_question_is_answered_by_its_kind_only(
    questions: Questions, clock: Clock
) -> None:
    """A QR image answers the question for an account's new key; any other question stays
    open (the image is imported instead)."""
    questions.offer_rename(ADMIN.id, 42)
    assert questions.take_if(ADMIN.id, Waiting.ROTATION) is None
    assert questions.current(ADMIN.id) is not None
    asked = questions.expect_rotation(ADMIN.id, 42)
    assert asked == Question(Waiting.ROTATION, 42, clock.now + LIFETIME)
    assert asked.waiting.holds_secret
    assert not Waiting.RENAME.holds_secret
    assert questions.take_if(ADMIN.id, Waiting.ROTATION) == asked
    assert questions.current(ADMIN.id) is None
