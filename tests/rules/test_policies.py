"""Per-account policies in the rules: defaults, a stored value this version does not know
counts as the strictest, and `members listed` keeps an account out of a plain /add."""

from __future__ import annotations

import pytest

from bot.rules.errors import InvalidInput, NotAllowed
from bot.rules.model import Approval, Delivery, PlainAdd, Target
from bot.rules.services import Services
from storage.store import Store
from tests.rules.team import ADMIN, MEMBER, OTHER_SECRET, PRIVATE


def test_an_account_has_the_lenient_defaults(team: Services) -> None:
    policy = team.policies.show(ADMIN, "amazon-us").policy
    assert policy.approval is Approval.NONE
    assert policy.delivery is Delivery.HERE
    assert policy.members is PlainAdd.ALL


def test_an_unknown_stored_value_is_read_as_the_strictest(team: Services, store: Store) -> None:
    with store.transaction() as tx:
        account = tx.accounts.all()[0]
        account.approval = account.delivery = account.plain_add = "edited"
    policy = team.policies.show(ADMIN, "amazon-us").policy
    assert policy.approval is Approval.ADMIN
    assert policy.delivery is Delivery.PRIVATE
    assert policy.members is PlainAdd.LISTED


def test_only_admins_set_a_policy(team: Services) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    with pytest.raises(NotAllowed):
        team.policies.set(MEMBER, "amazon-us", "approval", "none")


def test_an_unknown_value_changes_nothing(team: Services) -> None:
    with pytest.raises(InvalidInput):
        team.policies.set(ADMIN, "amazon-us", "approval", "sometimes")
    assert team.policies.show(ADMIN, "amazon-us").policy.approval is Approval.NONE


def test_a_listed_account_needs_a_grant_by_name(team: Services) -> None:
    team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    team.policies.set(ADMIN, "ebay", "members", "listed")
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    assert [a.name for a in team.codes.accounts_for(MEMBER)] == ["amazon-us"]
    view = team.roster.add(ADMIN, Target(user_id=MEMBER.id), ["ebay"]).member
    assert view.all_accounts
    assert view.accounts == ("ebay",)
    assert [a.name for a in team.codes.accounts_for(MEMBER)] == ["amazon-us", "ebay"]
    assert team.codes.request(MEMBER, PRIVATE, "ebay")
