"""The team's accounts: adding, renaming, removing, and an owner's export of a secret."""

from __future__ import annotations

import pyotp
import pytest

from bot.rules.errors import InvalidInput, NotAllowed
from bot.rules.model import ExportNotice, GrantedCode, Person, Place, Target
from bot.rules.otp import Algorithm, parse_secret
from bot.rules.services import Services
from tests.conftest import Clock, Notices
from tests.rules.team import ADMIN, MEMBER, OTHER_SECRET, OWNER, PRIVATE, SECRET

# An account with nothing left at its default, so an export that drops a parameter shows.
CLOUD_URI = (
    "otpauth://totp/Cloud:ops@example.com?secret="
    f"{OTHER_SECRET}&issuer=Cloud&algorithm=SHA256&digits=8&period=60"
)


def test_account_names_are_unique_without_regard_to_case(team: Services) -> None:
    with pytest.raises(InvalidInput, match="account.exists"):
        team.vault.add(ADMIN, "Amazon-US", OTHER_SECRET)


def test_same_secret_under_another_name_is_reported(team: Services) -> None:
    with pytest.raises(InvalidInput, match="account.duplicate_secret") as refused:
        team.vault.add(ADMIN, "amazon-copy", SECRET.lower())
    assert refused.value.params == {"name": "amazon-us"}


@pytest.mark.parametrize("name", ["", "has space", "x" * 33, "semi;colon", "a/b"])
def test_bad_account_names_are_refused_without_repeating_them(team: Services, name: str) -> None:
    with pytest.raises(InvalidInput, match="account.bad_name") as refused:
        team.vault.add(ADMIN, name, OTHER_SECRET)
    assert refused.value.params == {"max": 32}


def test_rename_keeps_the_secret_working(team: Services, clock: Clock) -> None:
    team.vault.rename(ADMIN, "amazon-us", "amazon-de")
    granted = team.codes.request(ADMIN, Place(ADMIN.id, private=True), "AMAZON-DE")
    assert isinstance(granted, GrantedCode)
    issued = granted.issued
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


# --- export ------------------------------------------------------------------------------


def test_an_admin_may_not_export_a_secret_and_nothing_is_told_or_audited(
    team: Services, notices: Notices
) -> None:
    with pytest.raises(NotAllowed, match="access.owner_only"):
        team.vault.check_exportable(ADMIN, "amazon-us")
    account_id = team.vault.check_exportable(OWNER, "amazon-us").id
    with pytest.raises(NotAllowed, match="access.owner_only"):
        team.vault.export(ADMIN, account_id)
    assert notices.published == []
    assert not any(e.action == "account.export" for e in team.audit.latest(OWNER))


def test_a_member_may_not_export_a_secret(team: Services) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    with pytest.raises(NotAllowed, match="access.owner_only"):
        team.vault.check_exportable(MEMBER, "amazon-us")


def test_export_of_an_unknown_account_names_it(team: Services) -> None:
    with pytest.raises(InvalidInput, match="account.unknown") as refused:
        team.vault.check_exportable(OWNER, "nope")
    assert refused.value.params == {"names": ("nope",)}


def test_exported_link_reads_back_to_the_same_secret_digits_period_and_algorithm(
    team: Services, clock: Clock
) -> None:
    team.vault.add(ADMIN, "cloud", CLOUD_URI)
    info = team.vault.check_exportable(OWNER, "Cloud")
    exported = team.vault.export(OWNER, info.id)
    assert exported.account == info
    spec = parse_secret(exported.uri)
    assert spec.secret == OTHER_SECRET
    assert (spec.digits, spec.period, spec.algorithm) == (8, 60, Algorithm.SHA256)
    assert (spec.issuer, spec.label) == ("Cloud", "cloud")
    # A phone set up from the link shows the codes the team's bot shows.
    granted = team.codes.request(OWNER, Place(OWNER.id, private=True), "cloud")
    assert isinstance(granted, GrantedCode)
    issued = granted.issued
    phone = pyotp.parse_uri(exported.uri)
    assert isinstance(phone, pyotp.TOTP)
    assert phone.at(clock.now) == issued.code.value


def test_an_export_never_shows_the_secret_in_its_repr(team: Services) -> None:
    info = team.vault.check_exportable(OWNER, "amazon-us")
    exported = team.vault.export(OWNER, info.id)
    assert SECRET in exported.uri
    assert SECRET not in repr(exported)


def test_an_export_is_audited_with_the_owner_and_the_account(team: Services) -> None:
    info = team.vault.check_exportable(OWNER, "amazon-us")
    team.vault.export(OWNER, info.id)
    (entry,) = [e for e in team.audit.latest(OWNER) if e.action == "account.export"]
    assert (entry.actor_id, entry.actor_name) == (OWNER.id, "@olga")
    assert (entry.account, entry.outcome) == ("amazon-us", "ok")


def test_every_admin_but_the_exporting_owner_is_told_of_an_export(
    team: Services, notices: Notices, clock: Clock
) -> None:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    info = team.vault.check_exportable(OWNER, "amazon-us")
    team.vault.export(OWNER, info.id)
    (notice,) = notices.published
    assert isinstance(notice, ExportNotice)
    assert (notice.owner, notice.account) == (OWNER, "amazon-us")
    assert notice.at.timestamp() == clock.now
    assert [r.chat_id for r in notice.recipients] == [ADMIN.id]


def test_an_owner_alone_exports_without_a_notice(services: Services, notices: Notices) -> None:
    owner = Person(OWNER.id, "Olga")
    services.vault.add(owner, "solo", SECRET)
    info = services.vault.check_exportable(owner, "solo")
    assert parse_secret(services.vault.export(owner, info.id).uri).secret == SECRET
    assert notices.published == []
