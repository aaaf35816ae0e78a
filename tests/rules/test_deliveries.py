"""Codes delivered privately, deferred until the requester opens the private chat: the
link works once, for its person, within its time, and decides again when pressed."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pyotp
import pytest

from bot.rules.deliveries import LIFETIME, goes_private, is_link, sent_privately
from bot.rules.errors import InvalidInput, NotAMember
from bot.rules.freeze import Locked
from bot.rules.model import AccountInfo, CodeRequestNotice, GrantedCode, Target
from bot.rules.services import Services
from storage.store import Store
from tests.conftest import Clock, Notices, open_test_store
from tests.rules.team import ADMIN, GROUP, MEMBER, OTHER_SECRET, OWNER, SECRET, STRANGER
from tests.store_files import as_before_migrations


@pytest.fixture
def private(team: Services) -> Services:
    """amazon-us delivered privately, Mia a member, the group approved."""
    team.policies.set(ADMIN, "amazon-us", "delivery", "private")
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    team.groups.approve(ADMIN, GROUP)
    return team


def asked(services: Services, name: str | None = None) -> GrantedCode:
    granted = services.codes.request(MEMBER, GROUP, name)
    assert isinstance(granted, GrantedCode)
    return granted


def entries(services: Services, action: str) -> list[tuple[str, str | None]]:
    return [(e.outcome, e.account) for e in services.audit.latest(OWNER) if e.action == action]


def test_only_a_private_delivery_account_asked_for_in_a_group_goes_private(
    private: Services,
) -> None:
    account = asked(private).issued.account
    assert goes_private(account, asked_in_private=False)
    assert not goes_private(account, asked_in_private=True)
    here = AccountInfo(1, "ebay", None, "SHA1", 6, 30)
    assert not goes_private(here, asked_in_private=False)


def test_the_link_hands_out_the_code_current_when_pressed_and_audits_it(
    private: Services, clock: Clock, notices: Notices
) -> None:
    deferral = private.deliveries.defer(asked(private), MEMBER)
    assert deferral.until == clock.now + LIFETIME
    clock.advance(95)  # a few windows later
    notices.published.clear()
    granted = private.deliveries.redeem(MEMBER, deferral.token)
    assert granted.issued.code.value == pyotp.TOTP(SECRET).at(clock.now)
    assert granted.notice.outcome == "granted"
    assert granted.notice.privately
    assert granted.notice.place == GROUP  # asked there, delivered in private
    assert notices.published == []  # "granted" is told once the code arrived
    assert entries(private, "code.link") == [("granted", "amazon-us")]


def test_a_link_works_once(private: Services) -> None:
    token = private.deliveries.defer(asked(private), MEMBER).token
    private.deliveries.redeem(MEMBER, token)
    with pytest.raises(InvalidInput) as again:
        private.deliveries.redeem(MEMBER, token)
    assert again.value.key == "deliver.link_used"


def test_someone_elses_press_hands_out_nothing_and_leaves_the_link_to_its_owner(
    private: Services, notices: Notices
) -> None:
    private.roster.add(ADMIN, Target(user_id=STRANGER.id), [])  # a member, but not the one
    token = private.deliveries.defer(asked(private), MEMBER).token
    notices.published.clear()
    with pytest.raises(InvalidInput) as refused:
        private.deliveries.redeem(STRANGER, token)
    assert refused.value.key == "deliver.link_not_yours"
    (told,) = notices.published
    assert isinstance(told, CodeRequestNotice)
    assert told.outcome == "denied:link_not_yours"
    assert told.requester == STRANGER
    assert entries(private, "code.link") == [("denied:link_not_yours", "amazon-us")]
    assert private.deliveries.redeem(MEMBER, token).notice.outcome == "granted"


def test_an_expired_link_is_refused_and_then_forgotten(private: Services, clock: Clock) -> None:
    token = private.deliveries.defer(asked(private), MEMBER).token
    clock.advance(LIFETIME)
    with pytest.raises(InvalidInput) as expired:
        private.deliveries.redeem(MEMBER, token)
    assert expired.value.key == "deliver.link_expired"
    assert expired.value.params == {"minutes": 10}
    with pytest.raises(InvalidInput) as again:
        private.deliveries.redeem(MEMBER, token)
    assert again.value.key == "deliver.link_used"
    assert entries(private, "code.link") == []  # nothing was decided


def test_a_member_revoked_before_pressing_gets_nothing_and_the_link_is_spent(
    private: Services, notices: Notices
) -> None:
    token = private.deliveries.defer(asked(private), MEMBER).token
    private.roster.revoke(ADMIN, Target(user_id=MEMBER.id), [])
    notices.published.clear()
    with pytest.raises(NotAMember):
        private.deliveries.redeem(MEMBER, token)
    (told,) = notices.published
    assert isinstance(told, CodeRequestNotice)
    assert told.outcome == "denied:not_member"
    private.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    with pytest.raises(InvalidInput):
        private.deliveries.redeem(MEMBER, token)  # used up by the refusal


def test_an_account_no_longer_granted_is_refused(private: Services) -> None:
    private.vault.add(ADMIN, "ebay", OTHER_SECRET)
    token = private.deliveries.defer(asked(private, "amazon-us"), MEMBER).token
    private.roster.revoke(ADMIN, Target(user_id=MEMBER.id), ["amazon-us"])
    with pytest.raises(InvalidInput) as refused:
        private.deliveries.redeem(MEMBER, token)
    assert refused.value.key == "code.button_not_yours"
    assert entries(private, "code.link") == [("denied:button_not_yours", "amazon-us")]


def test_a_lock_before_pressing_refuses_members_but_not_owners(private: Services) -> None:
    token = private.deliveries.defer(asked(private), MEMBER).token
    owners = private.codes.request(OWNER, GROUP, None)
    assert isinstance(owners, GrantedCode)
    owners_token = private.deliveries.defer(owners, OWNER).token
    private.freeze.lock(ADMIN, GROUP)
    with pytest.raises(Locked):
        private.deliveries.redeem(MEMBER, token)
    assert private.deliveries.redeem(OWNER, owners_token).notice.outcome == "granted"


def test_asking_again_replaces_the_earlier_link(private: Services) -> None:
    first = private.deliveries.defer(asked(private), MEMBER).token
    second = private.deliveries.defer(asked(private), MEMBER).token
    assert first != second
    with pytest.raises(InvalidInput):
        private.deliveries.redeem(MEMBER, first)
    assert private.deliveries.redeem(MEMBER, second).notice.outcome == "granted"


def test_a_removed_account_takes_its_links_with_it(private: Services, store: Store) -> None:
    granted = asked(private)
    token = private.deliveries.defer(granted, MEMBER).token
    private.vault.remove(ADMIN, granted.issued.account.id)
    with store.transaction() as tx:
        assert tx.deferred.count() == 0
    with pytest.raises(InvalidInput):
        private.deliveries.redeem(MEMBER, token)


def test_expired_links_are_dropped_when_the_next_one_is_made(
    private: Services, store: Store, clock: Clock
) -> None:
    private.deliveries.defer(asked(private), MEMBER)
    clock.advance(LIFETIME + 1)
    owners = private.codes.request(OWNER, GROUP, None)
    assert isinstance(owners, GrantedCode)
    private.deliveries.defer(owners, OWNER)
    with store.transaction() as tx:
        assert tx.deferred.count() == 1


def test_tokens_fit_a_deep_link_and_other_payloads_are_no_tokens(private: Services) -> None:
    token = private.deliveries.defer(asked(private), MEMBER).token
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", token)
    assert is_link(token)
    for payload in ("", "hello", "code_", token + "x", token[:-1], token[:-1] + "!", "a" * 65):
        assert not is_link(payload), payload
    with pytest.raises(InvalidInput) as junk:
        private.deliveries.redeem(MEMBER, "code_" + "A" * 22)
    assert junk.value.key == "deliver.link_used"


def test_the_notice_of_a_private_delivery_says_so(private: Services) -> None:
    granted = asked(private)
    assert not granted.notice.privately
    assert sent_privately(granted).notice.privately
    assert sent_privately(granted).issued == granted.issued


def test_a_store_from_before_private_delivery_gains_the_table(tmp_path: Path) -> None:
    open_test_store(tmp_path).close()
    with closing(sqlite3.connect(tmp_path / "teamotp.db")) as db, db:
        as_before_migrations(db)
        db.execute("DROP TABLE deferred_codes")
    store = open_test_store(tmp_path)
    try:
        with store.transaction() as tx:
            assert tx.deferred.count() == 0
    finally:
        store.close()
