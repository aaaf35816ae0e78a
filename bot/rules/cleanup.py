"""Messages to delete later (codes past their window), kept in the store so restarts honour them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.rules.core import Core

# Telegram refuses to delete anything older than 48 hours.
DELETABLE_FOR = timedelta(hours=48)


@dataclass(frozen=True)
class DueDeletion:
    id: int
    chat_id: int
    message_id: int
    too_old: bool


class Cleanup:
    def __init__(self, core: Core) -> None:
        self._core = core

    def schedule(self, chat_id: int, message_id: int, at: float) -> None:
        with self._core.store.transaction() as tx:
            tx.deletions.schedule(chat_id, message_id, datetime.fromtimestamp(at, UTC))

    def due(self) -> list[DueDeletion]:
        now = self._core.now()
        with self._core.store.transaction() as tx:
            return [
                DueDeletion(d.id, d.chat_id, d.message_id, now - d.delete_at > DELETABLE_FOR)
                for d in tx.deletions.due(now)
            ]

    def done(self, deletion_id: int) -> None:
        with self._core.store.transaction() as tx:
            tx.deletions.done(deletion_id)
