"""The team's rules, against a real SQLite store, without Telegram."""

from __future__ import annotations

import pyotp
import pytest

from bot.rules.errors import ChatNotApproved, InvalidInput, NotAllowed, NotAMember
from bot.rules.model import IssuedCode, Person, Picker, Place, Role, Target
from bot.rules.services import Services
from tests.conftest import OWNER_ID, Clock, Notices

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OTHER_SECRET = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
OWNER = Person(OWNER_ID, "Olga", username="olga", language_code="en")
ADMIN = Person(200, "Adam", username="adam")
MEMBER = Person(300, "Mia", username="mia", language_code="zh-hans")
STRANGER = Person(400, "Sam")
PRIVATE = Place(300, private=True)
GROUP = Place(-500, private=False, title="Team")


@pytest.fixture
def team(services: Services) -> Services:
    for someone in (OWNER, ADMIN, MEMBER, STRANGER):
        services.directory.seen(someone)
    services.roster.promote(OWNER, Target(user_id=ADMIN.id))
    services.vault.add(ADMIN, "amazon-us", SECRET)
    return services


def test_code_matches_pyotp_at_the_clock(team: Services, clock: Clock) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    issued = team.codes.request(MEMBER, PRIVATE, None)
    assert isinstance(issued, IssuedCode)
    assert issued.code.value == pyotp.TOTP(SECRET).at(clock.now)
    assert issued.code.next_value == pyotp.TOTP(SECRET).at(clock.now + 30)


def test_stranger_is_refused_with_their_id_and_admins_hear_of_it(
    team: Services, notices: Notices
) -> None:
    with pytest.raises(NotAMember) as refused:
        team.codes.request(STRANGER, PRIVATE, "amazon-us")
    assert refused.value.params == {"user_id": STRANGER.id}
    (notice,) = notices.published
    assert notice.outcome == "denied:not_member"
    assert notice.requester == STRANGER
    assert {r.chat_id for r in notice.recipients} == {OWNER.id, ADMIN.id}


def test_granted_request_is_audited_and_notified_to_others_only(
    team: Services, notices: Notices
) -> None:
    team.codes.request(ADMIN, Place(ADMIN.id, private=True), None)
    (notice,) = notices.published
    assert notice.outcome == "granted"
    assert notice.account == "amazon-us"
    assert [r.chat_id for r in notice.recipients] == [OWNER.id]
    entries = team.audit.latest(OWNER)
    assert any(e.action == "code" and e.outcome == "granted" for e in entries)


def test_unapproved_group_is_refused_until_approved(team: Services) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    with pytest.raises(ChatNotApproved):
        team.codes.request(MEMBER, GROUP, None)
    assert team.groups.approve(ADMIN, GROUP)
    assert isinstance(team.codes.request(MEMBER, GROUP, None), IssuedCode)


def test_several_accounts_give_a_picker_of_granted_ones_only(team: Services) -> None:
    team.vault.add(ADMIN, "美国站", OTHER_SECRET)
    team.vault.add(ADMIN, "ebay", "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U")
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


def test_revoking_one_account_from_an_all_accounts_member(team: Services) -> None:
    team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    name, left = team.roster.revoke(ADMIN, Target(username="@mia"), ["amazon-us"])
    assert name == "Mia"
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


def test_only_owners_promote(team: Services) -> None:
    with pytest.raises(NotAllowed, match="access.owner_only"):
        team.roster.promote(ADMIN, Target(user_id=MEMBER.id))
    team.roster.promote(OWNER, Target(user_id=MEMBER.id))
    assert team.access.role_of(MEMBER.id) is Role.ADMIN
    team.roster.demote(OWNER, Target(user_id=MEMBER.id))
    assert team.access.role_of(MEMBER.id) is Role.MEMBER


def test_account_names_are_unique_without_regard_to_case(team: Services) -> None:
    with pytest.raises(InvalidInput, match="account.exists"):
        team.vault.add(ADMIN, "Amazon-US", OTHER_SECRET)


def test_same_secret_under_another_name_is_reported(team: Services) -> None:
    with pytest.raises(InvalidInput, match="account.duplicate_secret") as refused:
        team.vault.add(ADMIN, "amazon-copy", SECRET.lower())
    assert refused.value.params == {"name": "amazon-us"}


@pytest.mark.parametrize("name", ["", "has space", "x" * 33, "semi;colon", "a/b"])
def test_bad_account_names_are_refused(team: Services, name: str) -> None:
    with pytest.raises(InvalidInput, match="account.bad_name"):
        team.vault.add(ADMIN, name, OTHER_SECRET)


def test_rename_keeps_the_secret_working(team: Services, clock: Clock) -> None:
    team.vault.rename(ADMIN, "amazon-us", "amazon-de")
    issued = team.codes.request(ADMIN, Place(ADMIN.id, private=True), "AMAZON-DE")
    assert isinstance(issued, IssuedCode)
    assert issued.code.value == pyotp.TOTP(SECRET).at(clock.now)


def test_remove_deletes_the_account_and_its_grants(team: Services) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), ["amazon-us"])
    info = team.vault.check_removable(ADMIN, "amazon-us")
    team.vault.remove(ADMIN, info.id)
    with pytest.raises(InvalidInput, match="code.no_accounts"):
        team.codes.request(MEMBER, PRIVATE, None)
    with pytest.raises(InvalidInput, match="account.already_removed"):
        team.vault.remove(ADMIN, info.id)


def test_short_secret_is_accepted_and_flagged(team: Services) -> None:
    added = team.vault.add(ADMIN, "short", "JBSWY3DPEHPK3PXQ")
    assert added.short_secret
    assert added.secret_bits == 80


def test_notify_off_stops_notices_to_that_admin(team: Services, notices: Notices) -> None:
    team.roster.set_notify(ADMIN, False)
    with pytest.raises(NotAMember):
        team.codes.request(STRANGER, PRIVATE, None)
    assert [r.chat_id for r in notices.published[0].recipients] == [OWNER.id]


def test_claim_makes_the_first_claimant_owner_once(store: object, clock: Clock) -> None:
    from bot.rules.services import build_services
    from storage.store import Store

    assert isinstance(store, Store)
    services = build_services(
        store, Notices(), owner_ids=frozenset(), audit_chat_id=None, clock=clock
    )
    code = services.bootstrap.start()
    assert code is not None
    with pytest.raises(InvalidInput, match="claim.wrong_code"):
        services.bootstrap.claim(STRANGER, "WRONG")
    services.bootstrap.claim(STRANGER, code.lower())
    assert services.access.role_of(STRANGER.id) is Role.OWNER
    with pytest.raises(InvalidInput, match="claim.not_open"):
        services.bootstrap.claim(MEMBER, code)
    assert services.bootstrap.start() is None


def test_migrated_group_keeps_its_approval(team: Services) -> None:
    team.groups.approve(ADMIN, GROUP)
    team.groups.migrated(GROUP.chat_id, -1001234)
    assert team.groups.is_approved(-1001234)
    assert not team.groups.is_approved(GROUP.chat_id)
