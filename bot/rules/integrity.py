"""Checks the bot runs on itself at start: every stored secret still gives a code."""

from __future__ import annotations

from dataclasses import dataclass

from bot.rules.access import Access
from bot.rules.accounts import spec_of
from bot.rules.clock import Clock
from bot.rules.errors import UnreadableSecret
from bot.rules.model import Person, Role
from bot.rules.otp import code_at
from storage.store import Store


@dataclass(frozen=True)
class TeamSize:
    accounts: int
    members: int  # everyone with a role: configured owners and admins included
    groups: int  # approved ones


class Integrity:
    def __init__(self, store: Store, access: Access, clock: Clock) -> None:
        self._store = store
        self._access = access
        self._clock = clock

    def team_size(self, actor: Person) -> TeamSize:
        """For `/status`: how much the bot looks after."""
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            return TeamSize(
                accounts=len(tx.accounts.all()),
                members=len(set(self._access.owner_ids) | {m.user_id for m in tx.members.all()}),
                groups=tx.chats.count(),
            )

    def broken_secrets(self) -> tuple[str, ...]:
        """The names of the accounts whose secret does not open or gives no code.

        Each secret is opened once, turned into the current code and dropped, so a row
        changed behind the bot's back is found at start rather than when someone needs
        its code. A name, never a secret, leaves this method; the others keep working."""
        broken: list[str] = []
        now = self._clock()
        with self._store.transaction() as tx:
            for account in tx.accounts.all():
                try:
                    code_at(spec_of(tx, account), now)
                except UnreadableSecret:
                    broken.append(account.name)
                except Exception:
                    broken.append(account.name)
        return tuple(broken)
