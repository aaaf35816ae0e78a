"""Grants that end by themselves: the end is kept, honoured at once, and written down once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.rules.clock import utc
from bot.rules.errors import InvalidInput, NotAMember
from bot.rules.model import Change, GrantedCode, GrantsEndedNotice, Picker, Role, Target
from bot.rules.services import Services
from tests.conftest import T0, Clock, Notices
from tests.rules.team import ADMIN, MEMBER, OTHER_SECRET, OWNER, PRIVATE

MIA = Target(user_id=MEMBER.id)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def has_code(team: Services, account: str | None = None) -> bool:
    try:
        return isinstance(team.codes.request(MEMBER, PRIVATE, account), GrantedCode)
    except (NotAMember, InvalidInput):
        return False


def test_a_grant_ends_on_a_whole_minute_no_sooner_than_asked(team: Services) -> None:
    added = team.roster.add(ADMIN, MIA, [], lasting=MINUTE)
    # T0 is 00:00:05: one minute later, rounded up to the minute.
    assert added.member.until == utc(T0 + 115)
    assert added.member.all_accounts
    assert added.change is Change.NEW
    assert added.tell_member


def test_a_grant_for_a_minute_holds_until_its_end_and_not_a_moment_longer(
    team: Services, clock: Clock
) -> None:
    team.roster.add(ADMIN, MIA, [], lasting=MINUTE)
    clock.advance(114)
    assert has_code(team)
    clock.advance(1)  # the end: refused before any sweep removed anything
    assert not has_code(team)
    assert team.access.role_of(MEMBER.id) is None
    with pytest.raises(NotAMember):
        team.codes.accounts_for(MEMBER)


def test_an_old_picker_button_fails_once_the_grant_ended(team: Services, clock: Clock) -> None:
    team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    team.roster.add(ADMIN, MIA, [], lasting=MINUTE)
    picker = team.codes.request(MEMBER, PRIVATE, None)
    assert isinstance(picker, Picker)
    clock.advance(120)
    with pytest.raises(NotAMember):
        team.codes.request_by_id(MEMBER, PRIVATE, picker.accounts[0].id)


def test_the_sweep_removes_the_member_audits_it_and_tells_the_admins(
    team: Services, clock: Clock, notices: Notices
) -> None:
    team.roster.add(ADMIN, MIA, [], lasting=MINUTE)
    assert team.expiry.end_expired() == []  # nothing has ended yet
    clock.advance(120)
    (ended,) = team.expiry.end_expired()
    assert (ended.user_id, ended.everything, ended.left) == (MEMBER.id, True, None)
    assert ended.at == utc(T0 + 115)
    assert ended.language_code == "zh-hans"
    (notice,) = [n for n in notices.published if isinstance(n, GrantsEndedNotice)]
    assert notice.ended == (ended,)
    assert {r.chat_id for r in notice.recipients} == {OWNER.id, ADMIN.id}
    entry = team.audit.latest(OWNER, 1)[0]
    assert (entry.action, entry.outcome, entry.target_id) == ("member.expire", "removed", MEMBER.id)
    assert dict(entry.params) == {"until": "2026-01-01 00:02 UTC"}
    # Written down once: the next sweep finds nothing, and the member row is gone.
    assert team.expiry.end_expired() == []
    assert all(v.user_id != MEMBER.id for v in team.roster.members(ADMIN))


def test_admins_who_turned_notifications_off_are_not_told(
    team: Services, clock: Clock, notices: Notices
) -> None:
    team.roster.set_notify(ADMIN, False)
    team.roster.add(ADMIN, MIA, [], lasting=MINUTE)
    clock.advance(120)
    team.expiry.end_expired()
    (notice,) = [n for n in notices.published if isinstance(n, GrantsEndedNotice)]
    assert [r.chat_id for r in notice.recipients] == [OWNER.id]


def test_adding_again_extends_shortens_or_makes_permanent(team: Services, clock: Clock) -> None:
    assert team.roster.add(ADMIN, MIA, [], lasting=HOUR).change is Change.NEW
    longer = team.roster.add(ADMIN, MIA, [], lasting=3 * HOUR)
    assert (longer.change, longer.member.until) == (Change.LONGER, utc(T0 + 3 * 3600 + 55))
    shorter = team.roster.add(ADMIN, MIA, [], lasting=MINUTE)
    assert shorter.change is Change.SHORTER  # the latest /add counts
    permanent = team.roster.add(ADMIN, MIA, [])
    assert (permanent.change, permanent.member.until) == (Change.PERMANENT, None)
    assert permanent.tell_member
    clock.advance(4 * 3600)
    assert team.expiry.end_expired() == []
    assert has_code(team)


def test_a_temporary_add_on_a_permanent_member_shortens_it(team: Services, clock: Clock) -> None:
    team.roster.add(ADMIN, MIA, [])
    assert team.roster.add(ADMIN, MIA, [], lasting=HOUR).change is Change.SHORTER
    clock.advance(2 * 3600)
    assert not has_code(team)


def test_a_plain_add_on_a_member_tells_them_nothing(team: Services) -> None:
    added = team.roster.add(ADMIN, MIA, [])
    assert not added.tell_member
    assert team.roster.add(ADMIN, MIA, []).change is Change.SAME


def test_a_named_grant_ends_alone_and_the_rest_stays(team: Services, clock: Clock) -> None:
    team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    team.roster.add(ADMIN, MIA, ["amazon-us"])
    added = team.roster.add(ADMIN, MIA, ["ebay"], lasting=HOUR)
    assert added.member.accounts == ("amazon-us", "ebay")
    assert added.member.ends == (None, utc(T0 + 3655))
    clock.advance(3655)
    assert has_code(team, "amazon-us")
    assert not has_code(team, "ebay")
    (ended,) = team.expiry.end_expired()
    assert (ended.everything, ended.accounts) == (False, ("ebay",))
    assert ended.left is not None
    assert ended.left.accounts == ("amazon-us",)
    entry = team.audit.latest(OWNER, 1)[0]
    assert (entry.action, entry.outcome) == ("member.expire", "ok")
    assert dict(entry.params)["accounts"] == "ebay"
    assert team.access.role_of(MEMBER.id) is Role.MEMBER


def test_all_accounts_for_a_while_falls_back_to_the_named_grant(
    team: Services, clock: Clock
) -> None:
    team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    team.roster.add(ADMIN, MIA, ["amazon-us"])
    added = team.roster.add(ADMIN, MIA, [], lasting=HOUR)
    assert (added.member.all_accounts, added.member.accounts) == (True, ("amazon-us",))
    assert has_code(team, "ebay")
    clock.advance(2 * 3600)
    assert not has_code(team, "ebay")
    assert has_code(team, "amazon-us")
    (ended,) = team.expiry.end_expired()
    assert ended.everything
    assert ended.left is not None
    assert (ended.left.all_accounts, ended.left.accounts) == (False, ("amazon-us",))


def test_revoking_some_accounts_keeps_the_end_on_the_rest(team: Services, clock: Clock) -> None:
    team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    team.roster.add(ADMIN, MIA, [], lasting=HOUR)
    left = team.roster.revoke(ADMIN, MIA, ["ebay"]).left
    assert left is not None
    assert (left.all_accounts, left.accounts) == (False, ("amazon-us",))
    assert left.ends == (utc(T0 + 3655),)
    clock.advance(3655)
    assert not has_code(team, "amazon-us")
    (ended,) = team.expiry.end_expired()
    assert (ended.accounts, ended.left) == (("amazon-us",), None)


def test_revoking_a_temporary_member_removes_them_as_before(team: Services, clock: Clock) -> None:
    team.roster.add(ADMIN, MIA, [], lasting=HOUR)
    team.roster.revoke(ADMIN, MIA, [])
    assert team.access.role_of(MEMBER.id) is None
    clock.advance(2 * 3600)
    assert team.expiry.end_expired() == []


def test_a_member_whose_grant_ended_can_be_added_again(team: Services, clock: Clock) -> None:
    team.roster.add(ADMIN, MIA, [], lasting=MINUTE)
    clock.advance(120)  # ended, not yet swept
    added = team.roster.add(ADMIN, MIA, [], lasting=HOUR)
    assert added.change is Change.NEW
    assert has_code(team)
    assert team.expiry.end_expired() == []


@pytest.mark.parametrize(
    "lasting", [timedelta(0), timedelta(seconds=59), timedelta(days=90, minutes=1), -HOUR]
)
def test_a_duration_out_of_bounds_is_refused_and_nothing_stored(
    team: Services, lasting: timedelta
) -> None:
    with pytest.raises(InvalidInput, match="grants.bad_duration"):
        team.roster.add(ADMIN, MIA, [], lasting=lasting)
    with pytest.raises(InvalidInput, match="grants.bad_duration"):
        team.roster.add_confirmed(ADMIN, MEMBER.id, [], lasting=lasting)
    assert team.access.role_of(MEMBER.id) is None


def test_ninety_days_is_allowed(team: Services) -> None:
    added = team.roster.add(ADMIN, MIA, [], lasting=timedelta(days=90))
    assert added.member.until == utc(T0 + 90 * 86400 + 55)


def test_a_promoted_member_is_never_temporary(team: Services, clock: Clock) -> None:
    team.roster.add(ADMIN, MIA, [], lasting=HOUR)
    team.roster.promote(OWNER, MIA)
    clock.advance(2 * 3600)
    assert team.expiry.end_expired() == []
    assert team.access.role_of(MEMBER.id) is Role.ADMIN
    team.roster.demote(OWNER, MIA)
    assert has_code(team)  # a member again, with no end


def test_accounts_show_when_access_to_each_ends(team: Services) -> None:
    team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    team.roster.add(ADMIN, MIA, ["amazon-us"])
    team.roster.add(ADMIN, MIA, ["ebay"], lasting=HOUR)
    ends = {a.name: a.until for a in team.codes.accounts_for(MEMBER)}
    assert ends == {"amazon-us": None, "ebay": utc(T0 + 3655)}


def test_members_leave_out_a_member_whose_grant_ended_before_the_sweep(
    team: Services, clock: Clock
) -> None:
    team.roster.add(ADMIN, MIA, [], lasting=MINUTE)
    assert any(v.user_id == MEMBER.id for v in team.roster.members(ADMIN))
    clock.advance(120)
    assert all(v.user_id != MEMBER.id for v in team.roster.members(ADMIN))
