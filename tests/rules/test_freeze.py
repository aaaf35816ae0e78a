"""The freeze switch in the rules: owners only get codes through it, it fails closed when
its setting was edited by hand, and it is checked again when a code is renewed."""

from __future__ import annotations

import pytest

from bot.rules.freeze import LOCK, Locked
from bot.rules.model import Target
from bot.rules.services import Services
from storage.store import Store
from tests.conftest import Notices
from tests.rules.team import ADMIN, MEMBER, OWNER, PRIVATE


@pytest.fixture
def locked(team: Services, notices: Notices) -> Services:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    team.freeze.lock(ADMIN, PRIVATE)
    return team


def test_a_member_gets_no_code_while_locked(locked: Services) -> None:
    with pytest.raises(Locked):
        locked.codes.request(MEMBER, PRIVATE, None)


def test_an_owner_gets_codes_while_locked(locked: Services) -> None:
    assert locked.codes.request(OWNER, PRIVATE, None)


def test_a_code_granted_before_the_lock_is_not_renewed_after_it(
    team: Services, notices: Notices
) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    granted = team.codes.request(MEMBER, PRIVATE, None)
    team.freeze.lock(ADMIN, PRIVATE)
    with pytest.raises(Locked):
        team.codes.renew(MEMBER, PRIVATE, granted.issued)  # type: ignore[union-attr]


def test_a_lock_setting_edited_by_hand_still_locks(locked: Services, store: Store) -> None:
    with store.transaction() as tx:
        tx.settings.put(LOCK, "not json")
    with pytest.raises(Locked):
        locked.codes.request(MEMBER, PRIVATE, None)


def test_every_admin_but_the_one_who_locked_is_told(team: Services, notices: Notices) -> None:
    notices.published.clear()
    team.freeze.lock(ADMIN, PRIVATE)
    (told,) = notices.published
    assert [r.chat_id for r in told.recipients] == [OWNER.id]


def test_locking_twice_changes_nothing_and_tells_nobody(locked: Services, notices: Notices) -> None:
    notices.published.clear()
    again = locked.freeze.lock(OWNER, PRIVATE)
    assert not again.changed
    assert again.state is not None
    assert again.state.by_id == ADMIN.id
    assert notices.published == []
