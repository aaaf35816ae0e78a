"""Limits (issue 7): strangers get a few answers, unapproved groups hear once that they
are, everyone gets codes at a set rate, and repeated refusals are one counted audit row.
Everything is counted in the store and against the clock given."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.rules.auditlog import REPEAT_WINDOW, AuditFilter
from bot.rules.errors import InvalidInput, NotAMember, TooManyCodes
from bot.rules.limits import (
    DEFAULT_CODES_PER_MINUTE,
    GROUP_STRANGER_REPLIES,
    GROUP_WINDOW,
    STRANGER_REPLIES,
    STRANGER_WINDOW,
    Answer,
)
from bot.rules.model import Person, Place, Target
from bot.rules.services import Services, build_services
from storage.store import Store
from tests.conftest import Clock, Notices, open_test_store
from tests.rules.team import ADMIN, GROUP, MEMBER, OWNER, STRANGER

LOBBY = Place(-600, private=False, title="Lobby")


def answers(services: Services, who: Person, where: Place, times: int) -> list[Answer]:
    return [services.limits.screen(who.id, where).answer for _ in range(times)]


def test_a_stranger_gets_a_few_answers_per_window(team: Services, clock: Clock) -> None:
    private = Place(STRANGER.id, private=True)
    got = answers(team, STRANGER, private, STRANGER_REPLIES + 2)
    assert got == [Answer.YES] * STRANGER_REPLIES + [Answer.QUIET] * 2
    clock.advance(STRANGER_WINDOW - 1)
    assert answers(team, STRANGER, private, 1) == [Answer.QUIET]
    clock.advance(1)
    assert answers(team, STRANGER, private, 1) == [Answer.YES]


def test_the_team_is_always_answered(team: Services) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    for who in (OWNER, ADMIN, MEMBER):
        assert set(answers(team, who, LOBBY, STRANGER_REPLIES + 2)) == {Answer.YES}


def test_strangers_in_one_group_share_a_few_answers_a_minute(team: Services, clock: Clock) -> None:
    team.groups.approve(ADMIN, GROUP)
    crowd = [Person(1000 + n, f"visitor{n}") for n in range(GROUP_STRANGER_REPLIES + 2)]
    got = [team.limits.screen(who.id, GROUP).answer for who in crowd]
    assert got == [Answer.YES] * GROUP_STRANGER_REPLIES + [Answer.QUIET] * 2
    clock.advance(GROUP_WINDOW)
    assert team.limits.screen(crowd[-1].id, GROUP).answer is Answer.YES


def test_an_unapproved_group_is_told_once_until_it_is_approved(team: Services) -> None:
    assert answers(team, STRANGER, LOBBY, 3) == [
        Answer.TELL_NOT_APPROVED,
        Answer.QUIET,
        Answer.QUIET,
    ]
    assert not team.limits.tell_unapproved(LOBBY.chat_id)  # told already
    team.groups.approve(ADMIN, LOBBY)
    assert answers(team, STRANGER, LOBBY, 1) == [Answer.YES]
    team.groups.unapprove(ADMIN, LOBBY)  # the reply said codes stopped: quiet from now on
    assert answers(team, STRANGER, LOBBY, 1) == [Answer.QUIET]


def test_adding_the_bot_tells_a_group_once(team: Services) -> None:
    assert team.limits.tell_unapproved(LOBBY.chat_id)
    assert not team.limits.tell_unapproved(LOBBY.chat_id)
    assert answers(team, STRANGER, LOBBY, 1) == [Answer.QUIET]


def test_limits_hold_across_a_reopened_store(
    team: Services, tmp_path: Path, database_url: str, notices: Notices, clock: Clock
) -> None:
    private = Place(STRANGER.id, private=True)
    answers(team, STRANGER, private, STRANGER_REPLIES)
    reopened = open_test_store(tmp_path, database_url)  # as after a restart
    try:
        again = build_services(
            reopened, notices, owner_ids=frozenset({OWNER.id}), audit_chat_id=None, clock=clock
        )
        assert answers(again, STRANGER, private, 1) == [Answer.QUIET]
    finally:
        reopened.close()


# ---------------------------------------------------------------------------- codes


def test_codes_are_limited_per_person_and_say_when_to_try_again(
    team: Services, clock: Clock
) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    private = Place(MEMBER.id, private=True)
    for _ in range(DEFAULT_CODES_PER_MINUTE):
        clock.advance(1)
        team.codes.request(MEMBER, private, None)
    with pytest.raises(TooManyCodes) as refused:
        team.codes.request(MEMBER, private, None)
    assert refused.value.params == {"seconds": 60 - DEFAULT_CODES_PER_MINUTE + 1}
    team.codes.request(ADMIN, Place(ADMIN.id, private=True), None)  # a count per person
    clock.advance(60 - DEFAULT_CODES_PER_MINUTE + 1)
    team.codes.request(MEMBER, private, None)


def test_a_code_limit_of_zero_is_no_limit(store: Store, notices: Notices, clock: Clock) -> None:
    services = build_services(
        store,
        notices,
        owner_ids=frozenset({OWNER.id}),
        audit_chat_id=None,
        clock=clock,
        codes_per_minute=0,
    )
    services.vault.add(OWNER, "amazon-us", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    for _ in range(DEFAULT_CODES_PER_MINUTE * 3):
        services.codes.request(OWNER, Place(OWNER.id, private=True), None)


# ---------------------------------------------------------------------------- audit


def test_repeated_refusals_within_minutes_are_one_counted_row(team: Services, clock: Clock) -> None:
    for n in range(5):
        clock.advance(30)
        with pytest.raises(NotAMember):
            team.codes.request(STRANGER, Place(STRANGER.id, private=True), f"acct{n % 2}")
    with pytest.raises(NotAMember):
        team.codes.request(STRANGER, GROUP, "acct0")
    refusals = team.audit.latest(OWNER, 50, AuditFilter(denied=True))
    assert [(e.count, e.account, e.chat_id) for e in refusals] == [(6, None, None)]
    clock.advance(REPEAT_WINDOW)
    with pytest.raises(NotAMember):
        team.codes.request(STRANGER, GROUP, "acct0")
    refusals = team.audit.latest(OWNER, 50, AuditFilter(denied=True))
    assert [(e.count, e.account, e.chat_id) for e in refusals] == [
        (1, "acct0", GROUP.chat_id),
        (6, None, None),
    ]


def test_refusals_of_different_people_or_outcomes_are_not_merged(team: Services) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    other = Person(401, "Trudy")
    for who in (STRANGER, other, STRANGER):
        with pytest.raises(NotAMember):
            team.codes.request(who, Place(who.id, private=True), None)
    with pytest.raises(InvalidInput):
        team.codes.request(MEMBER, Place(MEMBER.id, private=True), "nosuch")
    rows = team.audit.latest(OWNER, 50, AuditFilter(denied=True))
    assert sorted((e.actor_id, e.count) for e in rows) == [
        (MEMBER.id, 1),
        (STRANGER.id, 2),
        (other.id, 1),
    ]


def test_audit_filters_narrow_the_rows(team: Services) -> None:
    with pytest.raises(NotAMember):
        team.codes.request(STRANGER, Place(STRANGER.id, private=True), None)
    admin_rows = team.audit.latest(OWNER, 50, AuditFilter(admin=True))
    assert {e.action for e in admin_rows} == {"member.promote", "account.add"}
    assert [e.action for e in team.audit.latest(OWNER, 50, AuditFilter(username="mia"))] == []
    mine = team.audit.latest(OWNER, 50, AuditFilter(username="ADAM"))
    assert {e.action for e in mine} == {"member.promote", "account.add"}  # as target, as actor
    with pytest.raises(InvalidInput, match="audit.unknown_user"):
        team.audit.latest(OWNER, 50, AuditFilter(username="nobody"))
