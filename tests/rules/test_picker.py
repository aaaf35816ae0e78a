"""The picker a bare `/code` (or the start of a name) gets: a page at a time, of the
accounts the person may use, and looked up without reading the whole store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyotp
import pytest
from sqlalchemy import event

from bot.rules.errors import InvalidInput
from bot.rules.model import GrantedCode, Picker, Target
from bot.rules.services import Services
from bot.rules.visibility import PAGE
from storage.models import Account
from tests.rules.team import ADMIN, MEMBER, PRIVATE

SHOPS = [f"shop-{n:02d}" for n in range(2 * PAGE + 5)]  # three pages


@pytest.fixture
def many(team: Services) -> Services:
    for name in SHOPS:
        team.vault.add(ADMIN, name, pyotp.random_base32())
    return team


@contextmanager
def accounts_read() -> Iterator[list[str]]:
    """The names of the account rows the store hands the rules while this is open."""
    names: list[str] = []

    def loaded(account: Account, _context: object) -> None:
        names.append(account.name)

    event.listen(Account, "load", loaded)
    try:
        yield names
    finally:
        event.remove(Account, "load", loaded)


def names(picker: Picker) -> list[str]:
    return [a.name for a in picker.accounts]


def test_many_accounts_are_picked_a_page_at_a_time_forward_and_back(many: Services) -> None:
    first = many.codes.request(ADMIN, PRIVATE, None)
    assert isinstance(first, Picker)
    everything = ["amazon-us", *SHOPS]
    assert names(first) == everything[:PAGE]
    assert first.back is None
    assert first.more is not None
    second = many.codes.page(ADMIN, PRIVATE, first.more, first.prefix)
    assert names(second) == everything[PAGE : 2 * PAGE]
    assert second.more is not None
    assert second.back is not None
    third = many.codes.page(ADMIN, PRIVATE, second.more, second.prefix)
    assert names(third) == everything[2 * PAGE :]
    assert third.more is None
    assert third.back is not None
    assert names(many.codes.page(ADMIN, PRIVATE, third.back, third.prefix)) == names(second)
    assert names(many.codes.page(ADMIN, PRIVATE, second.back, second.prefix)) == names(first)


def test_the_start_of_a_name_picks_among_the_accounts_it_begins(many: Services) -> None:
    picker = many.codes.request(ADMIN, PRIVATE, "Shop-1")
    assert isinstance(picker, Picker)
    assert names(picker) == [f"shop-{n}" for n in range(10, 20)]
    assert picker.more is None
    assert picker.back is None


def test_a_start_that_only_one_account_has_gives_its_code(many: Services) -> None:
    granted = many.codes.request(ADMIN, PRIVATE, "amaz")
    assert isinstance(granted, GrantedCode)
    assert granted.issued.account.name == "amazon-us"


def test_the_pages_of_a_start_of_a_name_keep_to_it(many: Services) -> None:
    for n in range(PAGE + 3):
        many.vault.add(ADMIN, f"ebay-{n:02d}", pyotp.random_base32())
    first = many.codes.request(ADMIN, PRIVATE, "ebay")
    assert isinstance(first, Picker)
    assert first.more is not None
    rest = many.codes.page(ADMIN, PRIVATE, first.more, first.prefix)
    assert names(rest) == [f"ebay-{n:02d}" for n in range(PAGE, PAGE + 3)]
    assert rest.more is None


def test_a_member_pages_through_their_own_accounts_only(many: Services) -> None:
    granted = SHOPS[::2]  # every other shop, more than a page
    for some in (granted[:15], granted[15:]):  # `/add` names at most 20 at once
        many.roster.add(ADMIN, Target(user_id=MEMBER.id), some)
    first = many.codes.request(MEMBER, PRIVATE, None)
    assert isinstance(first, Picker)
    assert first.more is not None
    rest = many.codes.page(MEMBER, PRIVATE, first.more, first.prefix)
    assert names(first) + names(rest) == granted
    some = many.codes.request(MEMBER, PRIVATE, "shop-0")
    assert isinstance(some, Picker)
    assert names(some) == ["shop-00", "shop-02", "shop-04", "shop-06", "shop-08"]


def test_a_start_of_a_name_reveals_no_account_the_member_lacks(many: Services) -> None:
    many.roster.add(ADMIN, Target(user_id=MEMBER.id), ["shop-01"])
    granted = many.codes.request(MEMBER, PRIVATE, "shop")
    assert isinstance(granted, GrantedCode)
    assert granted.issued.account.name == "shop-01"
    with pytest.raises(InvalidInput, match="code.unknown_account"):
        many.codes.request(MEMBER, PRIVATE, "amazon")


def test_a_page_button_of_an_account_the_presser_lacks_is_refused(many: Services) -> None:
    many.roster.add(ADMIN, Target(user_id=MEMBER.id), ["shop-01"])
    first = many.codes.request(ADMIN, PRIVATE, None)
    assert isinstance(first, Picker)
    assert first.more is not None
    with pytest.raises(InvalidInput, match="code.button_not_yours"):
        many.codes.page(MEMBER, PRIVATE, first.more, first.prefix)


def test_a_named_request_reads_one_account_however_many_there_are(many: Services) -> None:
    with accounts_read() as read:
        granted = many.codes.request(ADMIN, PRIVATE, "shop-33")
    assert isinstance(granted, GrantedCode)
    assert read == ["shop-33"]


def test_a_bare_request_reads_one_page_however_many_there_are(many: Services) -> None:
    with accounts_read() as read:
        many.codes.request(ADMIN, PRIVATE, None)
    assert len(read) == PAGE + 1  # the page, and the first of the next
