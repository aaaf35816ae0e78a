"""Handing out codes: the right code, to whom, and who hears of each request."""

from __future__ import annotations

import pyotp
import pytest

from bot.rules.errors import InvalidInput, NotAMember
from bot.rules.model import CodeRequestNotice, GrantedCode, Picker, Place, Target
from bot.rules.services import Services
from tests.conftest import Clock, Notices
from tests.rules.team import (
    ADMIN,
    MEMBER,
    OTHER_SECRET,
    OWNER,
    PRIVATE,
    SECRET,
    STRANGER,
    THIRD_SECRET,
)


def test_code_matches_pyotp_at_the_clock(team: Services, clock: Clock) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    granted = team.codes.request(MEMBER, PRIVATE, None)
    assert isinstance(granted, GrantedCode)
    issued = granted.issued
    assert issued.code.value == pyotp.TOTP(SECRET).at(clock.now)
    assert issued.code.next_value == pyotp.TOTP(SECRET).at(clock.now + 30)


def test_stranger_is_refused_with_their_id_and_admins_hear_of_it(
    team: Services, notices: Notices
) -> None:
    with pytest.raises(NotAMember) as refused:
        team.codes.request(STRANGER, PRIVATE, "amazon-us")
    assert refused.value.params == {"user_id": STRANGER.id}
    (notice,) = notices.published
    assert isinstance(notice, CodeRequestNotice)
    assert notice.outcome == "denied:not_member"
    assert notice.requester == STRANGER
    assert {r.chat_id for r in notice.recipients} == {OWNER.id, ADMIN.id}


def test_granted_request_is_audited_and_notified_to_others_only_once_delivered(
    team: Services, notices: Notices
) -> None:
    granted = team.codes.request(ADMIN, Place(ADMIN.id, private=True), None)
    assert isinstance(granted, GrantedCode)
    assert notices.published == []  # the reply has not been sent yet
    team.codes.tell(granted, delivered=True)
    (notice,) = notices.published
    assert isinstance(notice, CodeRequestNotice)
    assert notice.outcome == "granted"
    assert notice.account == "amazon-us"
    assert [r.chat_id for r in notice.recipients] == [OWNER.id]
    entries = team.audit.latest(OWNER)
    assert any(e.action == "code" and e.outcome == "granted" for e in entries)


def test_a_grant_whose_reply_was_lost_is_told_as_undelivered(
    team: Services, notices: Notices
) -> None:
    granted = team.codes.request(ADMIN, Place(ADMIN.id, private=True), None)
    assert isinstance(granted, GrantedCode)
    team.codes.tell(granted, delivered=False)
    (notice,) = notices.published
    assert isinstance(notice, CodeRequestNotice)
    assert notice.outcome == "undelivered"


def test_a_renewed_code_is_the_current_one_and_adds_no_audit_row_or_notice(
    team: Services, notices: Notices, clock: Clock
) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    granted = team.codes.request(MEMBER, PRIVATE, None)
    assert isinstance(granted, GrantedCode)

    def code_rows() -> int:
        return sum(e.action == "code" for e in team.audit.latest(OWNER))

    rows = code_rows()
    clock.advance(40)
    renewed = team.codes.renew(MEMBER, PRIVATE, granted.issued)
    assert renewed.code.value == pyotp.TOTP(SECRET).at(clock.now)
    assert renewed.code.value != granted.issued.code.value
    assert code_rows() == rows == 1
    assert notices.published == []


def test_several_accounts_give_a_picker_of_granted_ones_only(team: Services) -> None:
    team.vault.add(ADMIN, "美国站", OTHER_SECRET)
    team.vault.add(ADMIN, "ebay", THIRD_SECRET)
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), ["amazon-us", "美国站"])
    picker = team.codes.request(MEMBER, PRIVATE, None)
    assert isinstance(picker, Picker)
    assert [a.name for a in picker.accounts] == ["amazon-us", "美国站"]
    with pytest.raises(InvalidInput, match="code.unknown_account"):
        team.codes.request(MEMBER, PRIVATE, "ebay")
    ebay = next(a for a in team.vault.list(ADMIN) if a.name == "ebay")
    with pytest.raises(InvalidInput, match="code.button_not_yours"):
        team.codes.request_by_id(MEMBER, PRIVATE, ebay.id)


def test_revoke_takes_effect_on_the_next_request(team: Services) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    team.codes.request(MEMBER, PRIVATE, None)
    team.roster.revoke(ADMIN, Target(user_id=MEMBER.id), [])
    with pytest.raises(NotAMember):
        team.codes.request(MEMBER, PRIVATE, None)


def test_notify_off_stops_notices_to_that_admin(team: Services, notices: Notices) -> None:
    team.roster.set_notify(ADMIN, False)
    with pytest.raises(NotAMember):
        team.codes.request(STRANGER, PRIVATE, None)
    assert [r.chat_id for r in notices.published[0].recipients] == [OWNER.id]
