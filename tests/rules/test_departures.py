"""People who leave: the seeds each person saw, the roster group, and who is told."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.rules.departures import LEAVE_ECHO, seen_seeds
from bot.rules.errors import InvalidInput, NotAllowed
from bot.rules.model import (
    OPERATOR,
    Loss,
    LostAccessNotice,
    Person,
    Place,
    Role,
    RosterUnwatchedNotice,
    Seen,
    SeenSeed,
    Target,
)
from bot.rules.services import Services
from storage.store import Store
from tests.conftest import Clock, Notices
from tests.rules.team import ADMIN, GROUP, MEMBER, OTHER_SECRET, OWNER, STRANGER, THIRD_SECRET

ANONYMOUS = Person(1087968824, "Group", is_bot=True)


def seen(store: Store, user_id: int) -> tuple[SeenSeed, ...]:
    with store.transaction() as tx:
        return seen_seeds(tx, user_id)


def lost_notices(notices: Notices) -> list[LostAccessNotice]:
    return [n for n in notices.published if isinstance(n, LostAccessNotice)]


@pytest.fixture
def roster(team: Services) -> Services:
    """The team's group approved and made the roster, the member added with all accounts."""
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    team.groups.approve(ADMIN, GROUP)
    assert team.groups.set_roster(ADMIN, GROUP, True, bot_is_admin=True)
    return team


# ------------------------------------------------------------------ seen seeds


def test_who_pasted_imported_or_received_a_seed_has_seen_it(team: Services, store: Store) -> None:
    team.vault.import_texts(ADMIN, [f"otpauth://totp/Shop:me?secret={OTHER_SECRET}&issuer=Shop"])
    account_id = team.vault.check_exportable(OWNER, "amazon-us").id
    team.vault.export(OWNER, account_id)

    assert seen(store, ADMIN.id) == (
        SeenSeed("amazon-us", (Seen.ADDED,)),
        SeenSeed("shop", (Seen.IMPORTED,)),
    )
    assert seen(store, OWNER.id) == (SeenSeed("amazon-us", (Seen.EXPORTED,)),)
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    assert seen(store, MEMBER.id) == ()  # codes only


def test_accounts_from_before_seeds_were_recorded_count_for_who_added_them(
    team: Services, store: Store
) -> None:
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM seed_exposures"))
    assert seen(store, ADMIN.id) == (SeenSeed("amazon-us", (Seen.ADDED,)),)


def test_a_removed_account_is_no_longer_named(team: Services, store: Store) -> None:
    team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    team.vault.remove(ADMIN, team.vault.check_removable(ADMIN, "ebay").id)
    assert seen(store, ADMIN.id) == (SeenSeed("amazon-us", (Seen.ADDED,)),)


def test_a_re_keyed_account_is_named_only_for_who_set_the_new_seed(
    team: Services, store: Store, clock: Clock
) -> None:
    with store.transaction() as tx:
        account = tx.accounts.all()[0]
        tx.exposures.rekeyed(account_id=account.id, user_id=OWNER.id, at=account.created_at)
    assert seen(store, ADMIN.id) == ()  # the seed they pasted no longer works
    assert seen(store, OWNER.id) == (SeenSeed("amazon-us", (Seen.ROTATED,)),)


def test_the_operator_is_never_told_about(team: Services, store: Store) -> None:
    team.vault.add(OPERATOR, "ebay", OTHER_SECRET)
    assert seen(store, OPERATOR.id) == ()
    assert [s.account for s in seen(store, ADMIN.id)] == ["amazon-us"]


# ---------------------------------------------------------------------- /roster


def test_a_group_becomes_the_roster_only_approved_and_with_the_bot_an_admin(
    team: Services,
) -> None:
    with pytest.raises(InvalidInput, match="roster.not_approved"):
        team.groups.set_roster(ADMIN, GROUP, True, bot_is_admin=True)
    team.groups.approve(ADMIN, GROUP)
    with pytest.raises(InvalidInput, match="roster.bot_not_admin"):
        team.groups.set_roster(ADMIN, GROUP, True, bot_is_admin=False)
    with pytest.raises(InvalidInput, match="roster.cannot_check"):
        team.groups.set_roster(ADMIN, GROUP, True, bot_is_admin=None)
    assert team.groups.roster_state(ADMIN, GROUP) is False
    assert team.groups.set_roster(ADMIN, GROUP, True, bot_is_admin=True)
    assert not team.groups.set_roster(ADMIN, GROUP, True, bot_is_admin=True)
    assert team.groups.roster_state(ADMIN, GROUP) is True
    assert team.groups.set_roster(ADMIN, GROUP, False)
    assert not team.groups.set_roster(ADMIN, GROUP, False)
    actions = [e.action for e in team.audit.latest(OWNER) if e.action.startswith("chat.roster")]
    assert actions == ["chat.roster_off", "chat.roster_on"]


def test_only_admins_change_the_roster(roster: Services) -> None:
    with pytest.raises(NotAllowed, match="access.admin_only"):
        roster.groups.set_roster(MEMBER, GROUP, False)
    assert roster.groups.roster_state(ADMIN, GROUP) is True


def test_unapproving_or_removing_the_bot_ends_the_roster(roster: Services) -> None:
    roster.groups.unapprove(ADMIN, GROUP)
    assert roster.groups.roster_state(ADMIN, GROUP) is None
    roster.groups.approve(ADMIN, GROUP)
    assert roster.groups.roster_state(ADMIN, GROUP) is False
    roster.groups.set_roster(ADMIN, GROUP, True, bot_is_admin=True)
    roster.groups.bot_removed(ADMIN, GROUP)
    roster.groups.bot_added(STRANGER, GROUP)
    assert roster.groups.roster_state(ADMIN, GROUP) is None


def test_an_upgraded_group_stays_the_roster(roster: Services) -> None:
    roster.groups.migrated(GROUP.chat_id, -1001234)
    supergroup = Place(-1001234, private=False, title="Team")
    assert roster.groups.roster_state(ADMIN, supergroup) is True
    assert roster.departures.left(MEMBER, supergroup) is Loss.LEFT
    assert roster.access.role_of(MEMBER.id) is None


# ------------------------------------------------------------------------ leaving


def test_a_member_leaving_the_roster_loses_access_once_and_admins_are_told(
    roster: Services, notices: Notices
) -> None:
    assert roster.departures.left(MEMBER, GROUP) is Loss.LEFT
    assert roster.access.role_of(MEMBER.id) is None
    (notice,) = lost_notices(notices)
    assert notice.lost.person == MEMBER
    assert notice.lost.seen == ()
    assert notice.lost.group == "Team"
    assert {r.chat_id for r in notice.recipients} == {OWNER.id, ADMIN.id}
    # The second report of the same leave changes nothing and tells nobody.
    assert roster.departures.left(MEMBER, GROUP) is None
    assert len(lost_notices(notices)) == 1
    rows = [e for e in roster.audit.latest(OWNER) if e.action == "member.left_roster"]
    assert [(r.actor_id, r.target_id, r.outcome) for r in rows] == [
        (MEMBER.id, MEMBER.id, "access_ended")
    ]


def test_an_admin_removed_from_the_roster_loses_role_and_the_seeds_are_named(
    roster: Services, notices: Notices
) -> None:
    assert roster.departures.left(ADMIN, GROUP, by=OWNER) is Loss.REMOVED
    assert roster.access.role_of(ADMIN.id) is None
    (notice,) = lost_notices(notices)
    assert notice.lost.by == OWNER
    assert notice.lost.seen == (SeenSeed("amazon-us", (Seen.ADDED,)),)
    assert {r.chat_id for r in notice.recipients} == {OWNER.id}


def test_removed_by_an_anonymous_admin_is_removed_by_nobody_known(
    roster: Services, notices: Notices
) -> None:
    assert roster.departures.left(MEMBER, GROUP, by=ANONYMOUS) is Loss.REMOVED
    (notice,) = lost_notices(notices)
    assert notice.lost.by is None
    assert roster.departures.left(MEMBER, GROUP, by=ANONYMOUS) is None


def test_an_owner_leaving_keeps_access_and_is_told_of_once_per_leave(
    roster: Services, notices: Notices, clock: Clock
) -> None:
    assert roster.departures.left(OWNER, GROUP) is Loss.OWNER_LEFT
    assert roster.departures.left(OWNER, GROUP) is None  # the same leave, told again
    assert roster.access.role_of(OWNER.id) is Role.OWNER
    (notice,) = lost_notices(notices)
    assert {r.chat_id for r in notice.recipients} == {ADMIN.id}
    clock.advance(LEAVE_ECHO.total_seconds() + 1)  # back in the group, and gone again
    assert roster.departures.left(OWNER, GROUP) is Loss.OWNER_LEFT
    assert len(lost_notices(notices)) == 2


def test_leaving_a_group_that_is_not_the_roster_changes_nothing(
    roster: Services, notices: Notices
) -> None:
    roster.groups.set_roster(ADMIN, GROUP, False)
    assert roster.departures.left(MEMBER, GROUP) is None
    other = Place(-777, private=False, title="Other")
    assert roster.departures.left(MEMBER, other) is None
    assert roster.access.role_of(MEMBER.id) is Role.MEMBER
    assert lost_notices(notices) == []


def test_someone_not_on_the_team_leaving_tells_nobody(roster: Services, notices: Notices) -> None:
    assert roster.departures.left(STRANGER, GROUP) is None
    assert lost_notices(notices) == []


# ------------------------------------------------------------- /revoke and /demote


def test_a_full_revoke_names_the_seeds_and_tells_the_other_admins(
    team: Services, notices: Notices
) -> None:
    ann = Person(201, "Ann")
    team.roster.promote(OWNER, Target(user_id=ann.id))
    team.vault.add(ann, "ebay", OTHER_SECRET)
    team.vault.add(ann, "shop", THIRD_SECRET)
    done = team.roster.revoke(OWNER, Target(user_id=ann.id), [])
    assert done.left is None
    assert done.lost is not None
    assert [s.account for s in done.lost.seen] == ["ebay", "shop"]
    (notice,) = lost_notices(notices)
    assert notice.lost.loss is Loss.REVOKED
    assert {r.chat_id for r in notice.recipients} == {ADMIN.id}  # not the owner who acted


def test_a_partial_revoke_tells_nobody(team: Services, notices: Notices) -> None:
    team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    done = team.roster.revoke(ADMIN, Target(user_id=MEMBER.id), ["ebay"])
    assert done.lost is None
    assert lost_notices(notices) == []


def test_a_demoted_admin_keeps_codes_and_what_they_saw_is_named(
    team: Services, notices: Notices
) -> None:
    done = team.roster.demote(OWNER, Target(user_id=ADMIN.id))
    assert done.view.role is Role.MEMBER
    assert done.lost.seen == (SeenSeed("amazon-us", (Seen.ADDED,)),)
    assert done.lost.loss is Loss.DEMOTED
    # The owner who acted reads it in the reply; with no other admin, nobody else is told.
    assert lost_notices(notices) == []


def test_an_owner_who_claimed_the_bot_is_refused_with_its_own_reason(
    unowned: Services,
) -> None:
    code = unowned.bootstrap.start()
    assert code is not None
    unowned.bootstrap.claim(STRANGER, code)
    unowned.roster.promote(STRANGER, Target(user_id=ADMIN.id))
    with pytest.raises(InvalidInput, match="members.cannot_revoke_claimed_owner"):
        unowned.roster.revoke(ADMIN, Target(user_id=STRANGER.id), [])
    with pytest.raises(InvalidInput, match="members.cannot_demote_claimed_owner"):
        unowned.roster.demote(STRANGER, Target(user_id=STRANGER.id))


def test_a_configured_owner_is_refused_with_the_servers_setting(team: Services) -> None:
    with pytest.raises(InvalidInput, match="members.cannot_revoke_owner"):
        team.roster.revoke(ADMIN, Target(user_id=OWNER.id), [])
    with pytest.raises(InvalidInput, match="members.cannot_demote_owner"):
        team.roster.demote(OWNER, Target(user_id=OWNER.id))


def test_the_bot_made_a_plain_member_of_the_roster_group_warns_every_admin(
    roster: Services, notices: Notices
) -> None:
    assert roster.departures.bot_demoted(GROUP, by=ADMIN)
    (notice,) = notices.published[-1:]
    assert isinstance(notice, RosterUnwatchedNotice)
    assert notice.by == ADMIN
    assert {r.chat_id for r in notice.recipients} == {OWNER.id, ADMIN.id}
    roster.groups.set_roster(ADMIN, GROUP, False)
    assert not roster.departures.bot_demoted(GROUP, by=ADMIN)  # not the roster: nothing
    assert len([n for n in notices.published if isinstance(n, RosterUnwatchedNotice)]) == 1
