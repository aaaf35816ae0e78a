"""Who is on the team: adding, revoking, promoting and demoting members."""

from __future__ import annotations

import pytest

from bot.rules.errors import InvalidInput, NotAllowed
from bot.rules.model import Person, Role, Target
from bot.rules.services import Services
from tests.rules.team import ADMIN, MEMBER, OTHER_SECRET, OWNER, STRANGER


def test_revoking_one_account_from_an_all_accounts_member_leaves_the_others(
    team: Services,
) -> None:
    team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    done = team.roster.revoke(ADMIN, Target(username="@mia"), ["amazon-us"])
    assert done.name == "Mia"
    left = done.left
    assert left is not None
    assert left.accounts == ("ebay",)
    assert not left.all_accounts


def test_add_by_unknown_username_is_refused(team: Services) -> None:
    with pytest.raises(InvalidInput, match="members.unknown_username"):
        team.roster.add(ADMIN, Target(username="nobody"), [])


def test_add_with_unknown_account_stores_nothing(team: Services) -> None:
    with pytest.raises(InvalidInput, match="account.unknown"):
        team.roster.add(ADMIN, Target(user_id=MEMBER.id), ["amazon-us", "nope"])
    assert team.access.role_of(MEMBER.id) is None


def test_member_cannot_manage_members(team: Services) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    with pytest.raises(NotAllowed):
        team.roster.add(MEMBER, Target(user_id=STRANGER.id), [])


def test_revoking_an_admin_needs_an_owner(team: Services) -> None:
    other_admin = Person(201, "Ann")
    team.roster.promote(OWNER, Target(user_id=other_admin.id))
    with pytest.raises(NotAllowed, match="members.revoke_admin_needs_owner"):
        team.roster.revoke(ADMIN, Target(user_id=other_admin.id), [])
    team.roster.revoke(OWNER, Target(user_id=other_admin.id), [])
    assert team.access.role_of(other_admin.id) is None


def test_owners_cannot_be_revoked_or_demoted(team: Services) -> None:
    with pytest.raises(InvalidInput, match="members.cannot_revoke_owner"):
        team.roster.revoke(ADMIN, Target(user_id=OWNER.id), [])
    with pytest.raises(InvalidInput, match="members.cannot_demote_owner"):
        team.roster.demote(OWNER, Target(user_id=OWNER.id))


def test_only_owners_promote_and_demote(team: Services) -> None:
    with pytest.raises(NotAllowed, match="access.owner_only"):
        team.roster.promote(ADMIN, Target(user_id=MEMBER.id))
    team.roster.promote(OWNER, Target(user_id=MEMBER.id))
    assert team.access.role_of(MEMBER.id) is Role.ADMIN
    with pytest.raises(NotAllowed, match="access.owner_only"):
        team.roster.demote(ADMIN, Target(user_id=MEMBER.id))
    team.roster.demote(OWNER, Target(user_id=MEMBER.id))
    assert team.access.role_of(MEMBER.id) is Role.MEMBER
