"""Messages to delete later (codes past their window), kept in the store so restarts honour them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.rules.clock import Clock, utc
from storage.store import Store

# Telegram refuses to delete anything older than 48 hours.
DELETABLE_FOR = timedelta(hours=48)
# How long a replica holds the deletions it took: a replica that dies holding some lets go
# of them after this, and another deletes the messages.
HOLD = 30.0


@dataclass(frozen=True)
class DueDeletion:
    id: int
    chat_id: int
    message_id: int
    too_old: bool


class Cleanup:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def schedule(self, messages: list[tuple[int, int]], at: float) -> None:
        """Delete these (chat id, message id) pairs at `at`, in one transaction."""
        with self._store.transaction() as tx:
            for chat_id, message_id in messages:
                tx.deletions.schedule(chat_id, message_id, utc(at))

    def due(self) -> list[DueDeletion]:
        """The deletions that are due, taken by the caller: no other replica takes them
        until they are `done`, `released`, or the hold ends."""
        clock = self._clock()
        now = utc(clock)
        with self._store.claiming() as tx:
            return [
                DueDeletion(d.id, d.chat_id, d.message_id, now - d.delete_at > DELETABLE_FOR)
                for d in tx.deletions.claim(now, utc(clock + HOLD))
            ]

    def done(self, deletion_ids: list[int]) -> None:
        with self._store.transaction() as tx:
            tx.deletions.done(deletion_ids)

    def release(self, deletion_ids: list[int]) -> None:
        """Not deleted this time (Telegram failed): the next sweep, anywhere, tries again."""
        if deletion_ids:
            with self._store.transaction() as tx:
                tx.deletions.release(deletion_ids)
