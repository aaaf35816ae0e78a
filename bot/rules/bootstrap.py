"""First owner: with none configured, whoever sends the start-up claim code becomes owner."""

from __future__ import annotations

import hmac
import secrets

from bot.rules.core import Core
from bot.rules.errors import InvalidInput
from bot.rules.model import Person, Role
from storage.models import Member

# No look-alikes (0/O, 1/I/L), so it can be read off a log and typed on a phone.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_LENGTH = 12


class Bootstrap:
    def __init__(self, core: Core) -> None:
        self._core = core
        self._claim_code: str | None = None

    def has_owner(self) -> bool:
        if self._core.owner_ids:
            return True
        with self._core.store.transaction() as tx:
            return bool(tx.members.with_role(Role.OWNER))

    def start(self) -> str | None:
        """A fresh claim code when the bot has no owner yet, else None."""
        if self.has_owner():
            self._claim_code = None
            return None
        self._claim_code = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
        return self._claim_code

    def claim(self, person: Person, code: str) -> None:
        core = self._core
        expected = self._claim_code
        given = code.strip().upper().replace("-", "").replace(" ", "")
        if expected is None or self.has_owner():
            raise InvalidInput("claim.not_open")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            with core.store.transaction() as tx:
                core.audit(tx, actor_id=person.id, action="claim", outcome="denied: wrong code")
            raise InvalidInput("claim.wrong_code")
        with core.store.transaction() as tx:
            member = tx.members.get(person.id)
            if member is None:
                tx.members.add(
                    Member(
                        user_id=person.id,
                        role=Role.OWNER,
                        all_accounts=True,
                        notify=True,
                        added_by=None,
                        added_at=core.now(),
                    )
                )
            else:
                member.role = Role.OWNER
                member.all_accounts = True
            core.audit(tx, actor_id=person.id, action="claim", outcome="owner")
        self._claim_code = None
