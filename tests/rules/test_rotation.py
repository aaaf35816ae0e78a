"""Re-keying an account: the new key waits beside the old one until an admin confirms, so
a change that fails at the site never locks the team out; cancelled, or not confirmed
within an hour, it leaves the old key in place. Audited; admins are told of a new key."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

import pyotp
import pytest

from bot.rules.errors import InvalidInput, InvalidSecret, NotAllowed
from bot.rules.model import (
    AccountInfo,
    GrantedCode,
    RotationExpiredNotice,
    RotationNotice,
    Target,
)
from bot.rules.rotation import LIFETIME, Rekeying, new_key
from bot.rules.services import Services
from tests.conftest import Clock, Notices
from tests.migration_payloads import TYPE_HOTP, Entry, encode_migration
from tests.rules.team import ADMIN, MEMBER, OTHER_SECRET, OWNER, PRIVATE, SECRET, THIRD_SECRET
from tests.store_files import change_account


def amazon_id(team: Services) -> int:
    begun = team.rotations.begin(ADMIN, "amazon-us")
    assert isinstance(begun, AccountInfo)
    return begun.id


def member_code(team: Services) -> str:
    granted = team.codes.request(MEMBER, PRIVATE, "amazon-us")
    assert isinstance(granted, GrantedCode)
    return granted.issued.code.value


@pytest.fixture
def members(team: Services) -> Services:
    team.roster.add(ADMIN, Target(user_id=MEMBER.id), [])
    return team


def started(team: Services) -> Rekeying:
    return team.rotations.take(ADMIN, amazon_id(team), [THIRD_SECRET])


def actions(team: Services) -> list[tuple[str, str]]:
    return [(e.action, e.outcome) for e in reversed(team.audit.latest(OWNER, 50))]


def test_the_new_key_waits_while_codes_come_from_the_old_one(
    members: Services, clock: Clock
) -> None:
    taken = started(members)
    assert taken.issued.code.value == pyotp.TOTP(THIRD_SECRET).at(clock.now)
    assert taken.until == clock.now + LIFETIME == clock.now + 3600
    assert member_code(members) == pyotp.TOTP(SECRET).at(clock.now)
    assert ("account.rotate_start", "ok") in actions(members)
    listed = {a.name: a.rotating for a in members.vault.list(ADMIN)}
    assert listed == {"amazon-us": True}


def test_confirming_replaces_the_key_and_tells_every_other_admin(
    members: Services, clock: Clock, notices: Notices
) -> None:
    taken = started(members)
    done = members.rotations.confirm(OWNER, taken.account.id, taken.ticket)
    assert done.name == "amazon-us"
    assert member_code(members) == pyotp.TOTP(THIRD_SECRET).at(clock.now)
    told = [n for n in notices.published if isinstance(n, RotationNotice)]
    assert len(told) == 1
    assert (told[0].admin, told[0].account) == (OWNER, "amazon-us")
    assert [r.chat_id for r in told[0].recipients] == [ADMIN.id]
    assert ("account.rotate", "ok") in actions(members)
    assert {a.name: a.rotating for a in members.vault.list(ADMIN)} == {"amazon-us": False}
    with pytest.raises(InvalidInput, match="rotate.gone"):
        members.rotations.confirm(ADMIN, taken.account.id, taken.ticket)


def test_the_new_keys_settings_come_with_it(members: Services, clock: Clock) -> None:
    uri = (
        f"otpauth://totp/Amazon:seller@example.com?secret={THIRD_SECRET}"
        "&issuer=Amazon&algorithm=SHA512&digits=8&period=60"
    )
    taken = members.rotations.take_named(ADMIN, "amazon-us", uri)
    assert taken.issued.account.period == 60
    members.rotations.confirm(ADMIN, taken.account.id, taken.ticket)
    expected = pyotp.TOTP(THIRD_SECRET, digits=8, digest=hashlib.sha512, interval=60)
    assert member_code(members) == expected.at(clock.now)
    (listed,) = members.vault.list(ADMIN)
    assert (listed.algorithm, listed.digits, listed.period, listed.issuer) == (
        "SHA512",
        8,
        60,
        "Amazon",
    )


def test_cancelling_keeps_the_old_key(members: Services, clock: Clock) -> None:
    taken = started(members)
    kept = members.rotations.cancel(ADMIN, taken.account.id, taken.ticket)
    assert kept.name == "amazon-us"
    assert member_code(members) == pyotp.TOTP(SECRET).at(clock.now)
    assert ("account.rotate_cancel", "ok") in actions(members)
    for settle in (members.rotations.confirm, members.rotations.code, members.rotations.cancel):
        with pytest.raises(InvalidInput, match="rotate.gone"):
            settle(ADMIN, taken.account.id, taken.ticket)


def test_a_button_of_an_earlier_change_never_settles_a_later_one(members: Services) -> None:
    first = started(members)
    members.rotations.cancel(ADMIN, first.account.id, first.ticket)
    second = members.rotations.take(ADMIN, first.account.id, [OTHER_SECRET])
    assert second.ticket != first.ticket
    with pytest.raises(InvalidInput, match="rotate.gone"):
        members.rotations.confirm(ADMIN, first.account.id, first.ticket)
    assert members.rotations.code(ADMIN, second.account.id, second.ticket).ticket == second.ticket


def test_cancel_command_drops_only_the_changes_this_admin_started(
    members: Services, clock: Clock
) -> None:
    taken = started(members)
    assert members.rotations.cancel_mine(OWNER) == []
    assert members.rotations.cancel_mine(MEMBER) == []
    assert members.rotations.cancel_mine(ADMIN) == ["amazon-us"]
    assert member_code(members) == pyotp.TOTP(SECRET).at(clock.now)
    with pytest.raises(InvalidInput, match="rotate.gone"):
        members.rotations.confirm(ADMIN, taken.account.id, taken.ticket)


def test_a_change_not_confirmed_within_an_hour_ends_and_its_starter_is_told(
    members: Services, clock: Clock, notices: Notices
) -> None:
    taken = started(members)
    clock.advance(LIFETIME - 1)
    assert members.rotations.expire() == 0
    members.rotations.code(OWNER, taken.account.id, taken.ticket)  # still waiting
    clock.advance(1)
    with pytest.raises(InvalidInput, match="rotate.gone"):
        members.rotations.confirm(OWNER, taken.account.id, taken.ticket)
    assert members.rotations.expire() == 1
    assert members.rotations.expire() == 0
    told = [n for n in notices.published if isinstance(n, RotationExpiredNotice)]
    assert [(n.account, [r.chat_id for r in n.recipients]) for n in told] == [
        ("amazon-us", [ADMIN.id])
    ]
    assert ("account.rotate_cancel", "expired") in actions(members)
    assert member_code(members) == pyotp.TOTP(SECRET).at(clock.now)
    assert isinstance(members.rotations.begin(ADMIN, "amazon-us"), AccountInfo)


def test_asking_again_shows_the_change_waiting(members: Services, clock: Clock) -> None:
    taken = started(members)
    clock.advance(45)
    again = members.rotations.begin(OWNER, "AMAZON-US")
    assert isinstance(again, Rekeying)
    assert again.ticket == taken.ticket
    assert again.issued.code.value == pyotp.TOTP(THIRD_SECRET).at(clock.now)


def test_a_second_new_key_never_replaces_one_already_waiting(members: Services) -> None:
    started(members)
    with pytest.raises(InvalidInput, match="rotate.already_pending"):
        members.rotations.take_named(OWNER, "amazon-us", OTHER_SECRET)


def test_the_key_it_already_has_is_refused(members: Services) -> None:
    with pytest.raises(InvalidInput, match="rotate.same_key") as refused:
        members.rotations.take(ADMIN, amazon_id(members), [SECRET.lower()])
    assert refused.value.params == {"name": "amazon-us"}
    assert {a.name: a.rotating for a in members.vault.list(ADMIN)} == {"amazon-us": False}


def test_a_key_another_account_holds_is_refused(members: Services) -> None:
    members.vault.add(ADMIN, "ebay", OTHER_SECRET)
    with pytest.raises(InvalidInput, match="rotate.held_by") as refused:
        members.rotations.take(ADMIN, amazon_id(members), [OTHER_SECRET])
    assert refused.value.params == {"name": "ebay"}


def test_a_key_added_to_another_account_meanwhile_is_not_confirmed(
    members: Services, clock: Clock
) -> None:
    taken = started(members)
    members.vault.add(ADMIN, "ebay", THIRD_SECRET)
    with pytest.raises(InvalidInput, match="rotate.held_by"):
        members.rotations.confirm(ADMIN, taken.account.id, taken.ticket)
    assert member_code(members) == pyotp.TOTP(SECRET).at(clock.now)


def test_members_and_strangers_cannot_rotate(members: Services) -> None:
    account_id = amazon_id(members)
    with pytest.raises(NotAllowed, match="access.admin_only"):
        members.rotations.begin(MEMBER, "amazon-us")
    with pytest.raises(NotAllowed, match="access.admin_only"):
        members.rotations.take(MEMBER, account_id, [THIRD_SECRET])
    taken = started(members)
    with pytest.raises(NotAllowed):
        members.rotations.confirm(MEMBER, account_id, taken.ticket)
    members.roster.demote(OWNER, Target(user_id=ADMIN.id))
    with pytest.raises(NotAllowed):
        members.rotations.confirm(ADMIN, account_id, taken.ticket)


@pytest.mark.sqlite_file
def test_an_account_whose_key_no_longer_opens_can_be_rekeyed(
    members: Services, clock: Clock, tmp_path: Path
) -> None:
    account_id = amazon_id(members)
    change_account(tmp_path, "amazon-us", "secret_sealed", b"\x01" + b"0" * 40)
    taken = members.rotations.take(ADMIN, account_id, [THIRD_SECRET])
    members.rotations.confirm(ADMIN, account_id, taken.ticket)
    assert member_code(members) == pyotp.TOTP(THIRD_SECRET).at(clock.now)


@pytest.mark.sqlite_file
def test_a_waiting_key_moved_to_another_account_does_not_open(
    members: Services, tmp_path: Path
) -> None:
    taken = started(members)
    members.vault.add(ADMIN, "ebay", OTHER_SECRET)
    with closing(sqlite3.connect(tmp_path / "teamotp.db")) as db, db:
        db.execute(
            "UPDATE pending_rotations SET account_id = "
            "(SELECT id FROM accounts WHERE name = 'ebay')"
        )
    ebay = members.rotations.begin(ADMIN, "ebay")
    # A new key that no longer opens is no change to wait for: it is dropped, never used.
    assert isinstance(ebay, AccountInfo)
    with pytest.raises(InvalidInput, match="rotate.gone"):
        members.rotations.confirm(ADMIN, ebay.id, taken.ticket)


def test_removing_the_account_removes_its_waiting_key(members: Services) -> None:
    taken = started(members)
    members.vault.remove(ADMIN, taken.account.id)
    members.vault.add(ADMIN, "amazon-us", SECRET)
    assert isinstance(members.rotations.begin(ADMIN, "amazon-us"), AccountInfo)
    assert members.rotations.expire() == 0


# --- what counts as one new key -----------------------------------------------------------


def test_one_key_is_read_from_a_key_a_link_or_an_export_of_one_account() -> None:
    raw = bytes(range(20))
    export = encode_migration(Entry(secret=raw, name="seller", issuer="Amazon"))
    assert new_key([export]).issuer == "Amazon"
    assert new_key([THIRD_SECRET.lower()]).secret == THIRD_SECRET
    assert new_key([f"otpauth://totp/x?secret={THIRD_SECRET}"], from_image=True).secret == (
        THIRD_SECRET
    )


def test_several_keys_are_refused_with_how_many() -> None:
    export = encode_migration(
        Entry(secret=bytes(range(20)), name="a"), Entry(secret=bytes(range(1, 21)), name="b")
    )
    with pytest.raises(InvalidInput, match="rotate.one_key") as refused:
        new_key([export], from_image=True)
    assert refused.value.params == {"count": 2}
    link = f"otpauth://totp/x?secret={THIRD_SECRET}"
    assert new_key([link, link], from_image=True).secret == THIRD_SECRET  # the same one twice


def test_what_holds_no_key_is_refused() -> None:
    with pytest.raises(InvalidInput, match="import.not_otp"):
        new_key(["https://sellercentral.amazon.com"], from_image=True)
    with pytest.raises(InvalidInput, match="rotate.not_totp"):
        new_key([encode_migration(Entry(secret=bytes(range(20)), name="c", type=TYPE_HOTP))])
    with pytest.raises(InvalidSecret, match="secret.not_base32"):
        new_key(["hello, 1 9 0 8!"])
