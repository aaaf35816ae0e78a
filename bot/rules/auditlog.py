"""Reading the audit log back (writing happens in each action, in its own transaction)."""

from __future__ import annotations

from bot.rules.core import Core
from bot.rules.model import AuditEntry, Person, Role

DEFAULT_ENTRIES = 20
MAX_ENTRIES = 100


class AuditLog:
    def __init__(self, core: Core) -> None:
        self._core = core

    def latest(self, actor: Person, count: int = DEFAULT_ENTRIES) -> list[AuditEntry]:
        core = self._core
        count = max(1, min(count, MAX_ENTRIES))
        with core.store.transaction() as tx:
            core.require(tx, actor.id, Role.ADMIN)
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
                    detail=e.detail,
                )
                for e in events
            ]
            core.audit(tx, actor_id=actor.id, action="audit.read", detail=str(count))
            return entries

    def refused(self, actor: Person, command: str, chat_id: int) -> None:
        """A command the sender's role does not allow: worth knowing who tried."""
        with self._core.store.transaction() as tx:
            self._core.audit(
                tx, actor_id=actor.id, action=command, outcome="denied:role", chat_id=chat_id
            )
