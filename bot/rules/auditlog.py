"""The audit log: every request and admin action, as an event code and its parameters.

Rows hold codes, not sentences (`member.add` with `accounts`, `code` with outcome
`denied:not_member`), so `/audit` reads them back in the reader's language.
Each action records its row in the same transaction as the change it describes.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.rules.access import Access
from bot.rules.clock import Clock, utc
from bot.rules.errors import NotAMember, TeamOtpError
from bot.rules.model import AuditEntry, Person, Role
from storage.repositories import Repositories
from storage.store import Store

DEFAULT_ENTRIES = 20
MAX_ENTRIES = 100

Param = str | int


def record(
    tx: Repositories,
    at: float,
    *,
    actor_id: int | None,
    action: str,
    outcome: str = "ok",
    account: str | None = None,
    chat_id: int | None = None,
    target_id: int | None = None,
    params: Mapping[str, Param] | None = None,
) -> None:
    tx.audit.record(
        at=utc(at),
        actor_id=actor_id,
        action=action,
        outcome=outcome,
        account=account,
        chat_id=chat_id,
        target_id=target_id,
        params=params or {},
    )


class AuditLog:
    def __init__(self, store: Store, access: Access, clock: Clock) -> None:
        self._store = store
        self._access = access
        self._clock = clock

    def latest(self, actor: Person, count: int = DEFAULT_ENTRIES) -> list[AuditEntry]:
        count = max(1, min(count, MAX_ENTRIES))
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            events = list(tx.audit.latest(count))
            ids = {e.actor_id for e in events if e.actor_id} | {
                e.target_id for e in events if e.target_id
            }
            users = tx.users.many(ids)

            def name(user_id: int | None) -> str | None:
                if user_id is None:
                    return None
                known = users.get(user_id)
                if known is None:
                    return str(user_id)
                return f"@{known.username}" if known.username else known.first_name or str(user_id)

            entries = [
                AuditEntry(
                    at=e.at,
                    actor_id=e.actor_id,
                    actor_name=name(e.actor_id),
                    action=e.action,
                    outcome=e.outcome,
                    account=e.account,
                    chat_id=e.chat_id,
                    target_id=e.target_id,
                    target_name=name(e.target_id),
                    params=tuple(sorted((e.params or {}).items())),
                    legacy_detail=e.detail,
                )
                for e in events
            ]
            record(
                tx, self._clock(), actor_id=actor.id, action="audit.read", params={"count": count}
            )
            return entries

    def refused(self, actor: Person, command: str, chat_id: int, refusal: TeamOtpError) -> None:
        """A command the sender's role does not allow: worth knowing who tried."""
        reason = "not_member" if isinstance(refusal, NotAMember) else "role"
        with self._store.transaction() as tx:
            record(
                tx,
                self._clock(),
                actor_id=actor.id,
                action="command",
                outcome=f"denied:{reason}",
                chat_id=chat_id,
                params={"command": command},
            )
