"""Which accounts a person may use, asked one account or one page at a time.

A request names one account, presses one button, or asks for the picker's first page: each
is one indexed look in the store, so a `/code` costs the same with ten accounts or ten
thousand (`visible_accounts`, the whole list, is only for `/accounts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.rules.clock import utc
from bot.rules.model import PlainAdd, Role
from bot.rules.names import name_key
from bot.rules.terms import has_account, has_all, live_grants
from storage.models import Account, Member
from storage.repositories import Listing, Repositories

PAGE = 20  # accounts on one page of the picker (Telegram refuses keyboards of ~100 buttons)


@dataclass(frozen=True)
class Page:
    """One page of the accounts a person may use, in name order. `more` and `back`: the
    first account of the next and of the previous page (None: there is none)."""

    accounts: tuple[Account, ...]
    more: Account | None
    back: Account | None
    prefix: str


class Visible:
    """The accounts `role` (and, for a member, their grants) may use at `at`."""

    def __init__(
        self,
        tx: Repositories,
        user_id: int,
        role: Role,
        *,
        at: float,
        member: Member | None = None,
    ) -> None:
        """`member`: the member's row where the caller has it already (`Access.standing`)."""
        self._tx = tx
        self._now: datetime = utc(at)
        self._member: Member | None = None
        self._listing: Listing | None = None
        if role is Role.MEMBER:
            self._member = member if member is not None else tx.members.get(user_id)
            self._listing = self._listing_of(self._member)

    def may_use(self, account: Account) -> bool:
        if self._listing is None:
            return True
        return self._member is not None and has_account(self._member, account, self._now)

    def any(self) -> bool:
        """Whether the store has an account at all (what an admin is told differs)."""
        return self._tx.accounts.exists()

    def named(self, name: str) -> Account | None:
        return self._usable(self._tx.accounts.by_key(name_key(name)))

    def by_id(self, account_id: int) -> Account | None:
        return self._usable(self._tx.accounts.by_id(account_id))

    def page(self, *, prefix: str = "", start: Account | None = None) -> Page:
        """The page from `start` (the first page without it) of the accounts whose name
        begins with `prefix`."""
        key = name_key(prefix) if prefix else ""
        listed = self._tx.accounts.listed(
            prefix=key,
            start=None if start is None else start.name_key,
            limit=PAGE + 1,
            only=self._listing,
        )
        before = (
            ()
            if start is None
            else self._tx.accounts.listed(
                prefix=key, start=start.name_key, before=True, limit=PAGE, only=self._listing
            )
        )
        # `only` may let through a listed account whose grant has ended: check each.
        shown = tuple(a for a in listed if self.may_use(a))
        return Page(
            accounts=shown[:PAGE],
            more=shown[PAGE] if len(shown) > PAGE else None,
            back=before[-1] if before else None,
            prefix=key,
        )

    def _usable(self, account: Account | None) -> Account | None:
        return account if account is not None and self.may_use(account) else None

    def _listing_of(self, member: Member | None) -> Listing:
        if member is None:
            return Listing()
        everything = (None, PlainAdd.ALL.value) if has_all(member, self._now) else ()
        return Listing(plain_add=everything, ids=frozenset(live_grants(member, self._now)))
