"""An account whose stored secret no longer opens (its row was changed outside the bot) is
named wherever it is used, never turned into a wrong code, and never stops the team from
adding other accounts."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest

from bot.rules.errors import InvalidInput, UnreadableSecret
from bot.rules.model import CodeRequestNotice, GrantedCode, Picker, Place, Target
from bot.rules.services import Services
from tests.conftest import Clock, Notices
from tests.rules.team import ADMIN, MEMBER, OTHER_SECRET, OWNER, PRIVATE, SECRET, THIRD_SECRET
from tests.store_files import change_account

# The database file is edited by hand, as someone holding it could.
pytestmark = pytest.mark.sqlite_file

ADMIN_PRIVATE = Place(ADMIN.id, private=True)


@pytest.fixture
def tampered(team: Services, tmp_path: Path) -> Services:
    """The team's amazon-us, then its digits edited in the database file; and ebay, intact."""
    team.vault.add(ADMIN, "ebay", OTHER_SECRET)
    change_account(tmp_path, "amazon-us", "digits", 8)
    return team


def test_a_code_for_it_names_the_account_instead_of_giving_a_wrong_code(
    tampered: Services,
) -> None:
    with pytest.raises(UnreadableSecret) as refused:
        tampered.codes.request(ADMIN, ADMIN_PRIVATE, "amazon-us")
    assert refused.value.key == "account.unreadable"
    assert refused.value.params == {"name": "amazon-us"}
    assert SECRET not in repr(refused.value)


def test_the_other_accounts_still_give_codes(tampered: Services, clock: Clock) -> None:
    granted = tampered.codes.request(ADMIN, ADMIN_PRIVATE, "ebay")
    assert isinstance(granted, GrantedCode)
    issued = granted.issued
    assert issued.code.value == pyotp.TOTP(OTHER_SECRET).at(clock.now)


def test_the_failed_request_is_audited_and_admins_are_told(
    tampered: Services, notices: Notices
) -> None:
    tampered.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    with pytest.raises(UnreadableSecret):
        tampered.codes.request(MEMBER, PRIVATE, "amazon-us")
    notice = notices.published[-1]
    assert isinstance(notice, CodeRequestNotice)
    assert (notice.account, notice.outcome) == ("amazon-us", "denied:unreadable_secret")
    entry = tampered.audit.latest(OWNER, 1)[0]
    assert (entry.action, entry.account, entry.outcome) == (
        "code",
        "amazon-us",
        "denied:unreadable_secret",
    )


def test_a_press_on_the_picker_names_it_too(tampered: Services) -> None:
    picker = tampered.codes.request(ADMIN, ADMIN_PRIVATE, None)
    assert isinstance(picker, Picker)
    (account,) = [a for a in picker.accounts if a.name == "amazon-us"]
    with pytest.raises(UnreadableSecret, match="account.unreadable"):
        tampered.codes.request_by_id(ADMIN, ADMIN_PRIVATE, account.id)


def test_the_list_marks_it(tampered: Services) -> None:
    listed = {a.name: a.readable for a in tampered.vault.list(ADMIN)}
    assert listed == {"amazon-us": False, "ebay": True}


def test_adding_another_account_still_works(tampered: Services) -> None:
    added = tampered.vault.add(ADMIN, "shop", THIRD_SECRET)
    assert added.issued.account.name == "shop"
    with pytest.raises(InvalidInput, match="account.duplicate_secret"):
        tampered.vault.add(ADMIN, "ebay-copy", OTHER_SECRET)  # a readable one still counts


def test_importing_still_works(tampered: Services) -> None:
    link = f"otpauth://totp/Shop:me@example.com?secret={THIRD_SECRET}&issuer=Shop"
    report = tampered.vault.import_texts(ADMIN, [link])
    assert [a.issued.account.name for a in report.added] == ["shop"]


def test_it_can_be_removed_and_added_again_under_its_name(tampered: Services, clock: Clock) -> None:
    info = tampered.vault.check_removable(ADMIN, "amazon-us")
    tampered.vault.remove(ADMIN, info.id)
    added = tampered.vault.add(ADMIN, "amazon-us", SECRET)
    assert added.issued.code.value == pyotp.TOTP(SECRET).at(clock.now)


def test_an_owner_cannot_export_it(tampered: Services) -> None:
    account_id = tampered.vault.check_exportable(OWNER, "amazon-us").id
    with pytest.raises(UnreadableSecret, match="account.unreadable"):
        tampered.vault.export(OWNER, account_id)
