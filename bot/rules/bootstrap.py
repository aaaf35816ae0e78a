"""First owner: with none configured, whoever sends the start-up claim code becomes owner."""

from __future__ import annotations

import hmac
import secrets
import threading

from bot.rules.access import Access
from bot.rules.auditlog import record
from bot.rules.clock import Clock, utc
from bot.rules.errors import InvalidInput
from bot.rules.model import Person, Role
from storage.store import Store

# No look-alikes (0/O, 1/I/L), so it can be read off a log and typed on a phone.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_LENGTH = 12


class Bootstrap:
    def __init__(self, store: Store, access: Access, clock: Clock) -> None:
        self._store = store
        self._access = access
        self._clock = clock
        self._claim_code: str | None = None
        # Messages of different chats are handled at once: two right claims at the same
        # moment must still make one owner.
        self._claiming = threading.Lock()

    def has_owner(self) -> bool:
        if self._access.owner_ids:
            return True
        with self._store.transaction() as tx:
            return bool(tx.members.with_role(Role.OWNER))

    def start(self) -> str | None:
        """A fresh claim code when the bot has no owner yet, else None."""
        if self.has_owner():
            self._claim_code = None
            return None
        self._claim_code = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
        return self._claim_code

    def claim(self, person: Person, code: str) -> None:
        with self._claiming:
            self._claim(person, code)

    def _claim(self, person: Person, code: str) -> None:
        expected = self._claim_code
        given = code.strip().upper().replace("-", "").replace(" ", "")
        if expected is None or self.has_owner():
            raise InvalidInput("claim.not_open")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            with self._store.transaction() as tx:
                record(
                    tx,
                    self._clock(),
                    actor_id=person.id,
                    action="claim",
                    outcome="denied:wrong_code",
                )
            raise InvalidInput("claim.wrong_code")
        with self._store.transaction() as tx:
            member = tx.members.get(person.id)
            if member is None:
                tx.members.add(
                    user_id=person.id,
                    role=Role.OWNER,
                    all_accounts=True,
                    notify=True,
                    added_by=None,
                    added_at=utc(self._clock()),
                )
            else:
                tx.members.update(member, role=Role.OWNER, all_accounts=True)
            record(tx, self._clock(), actor_id=person.id, action="claim")
        self._claim_code = None
