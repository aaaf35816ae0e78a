"""Per-account policies: whether a code needs an admin's approval, where it is delivered,
and whether a plain `/add` (no account names) includes the account.

An account with no policy set behaves as every account did before policies existed:
no approval, the code where it was asked for, included in a plain `/add`.
"""

from __future__ import annotations

from enum import StrEnum

from bot.rules.access import Access
from bot.rules.accounts import account_info, named
from bot.rules.auditlog import record
from bot.rules.clock import Clock
from bot.rules.errors import InvalidInput
from bot.rules.model import AccountInfo, Approval, Delivery, Person, PlainAdd, Role
from storage.store import Store

# The words of `/policy NAME SETTING VALUE`, and the column each one sets.
SETTINGS: dict[str, type[StrEnum]] = {
    "approval": Approval,
    "delivery": Delivery,
    "members": PlainAdd,
}


class Policies:
    def __init__(self, store: Store, access: Access, clock: Clock) -> None:
        self._store = store
        self._access = access
        self._clock = clock

    def show(self, actor: Person, name: str) -> AccountInfo:
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            return account_info(named(tx, name))

    def set(self, actor: Person, name: str, setting: str, value: str) -> AccountInfo:
        """`/policy NAME SETTING VALUE`; an unknown setting or value changes nothing."""
        kind = SETTINGS.get(setting.lower())
        if kind is None:
            raise InvalidInput("policy.usage")
        try:
            chosen = kind(value.lower())
        except ValueError:
            raise InvalidInput(
                "policy.bad_value", setting=setting.lower(), values=" | ".join(kind)
            ) from None
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            account = named(tx, name)
            column = {"approval": "approval", "delivery": "delivery", "members": "plain_add"}
            tx.accounts.set_policy(account, **{column[setting.lower()]: chosen.value})
            record(
                tx,
                self._clock(),
                actor_id=actor.id,
                action="account.policy",
                account=account.name,
                params={"setting": setting.lower(), "value": chosen.value},
            )
            return account_info(account)
