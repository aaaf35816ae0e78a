"""Notices on their way (rule 7), kept in the store until sent.

A notice is stored, held by the process that is sending it, before it goes out, and
deleted once Telegram took it (or refused it for good). A replica that dies holding one
lets go when the hold ends, and any replica still alive sends it then: a crash leaves no
notice unsent. The hold outlasts the longest send (`HOLD`), and a process never takes
back what it holds itself, so a notice being sent is not sent twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.rules.clock import Clock, utc
from storage.store import Store

# Seconds a process holds a notice it is sending: longer than a send may take (the
# notifier gives up on one after `DELIVERY_TIMEOUT`, 20 s, flood control included).
HOLD = 30.0
# Telegram could not be reached: any replica tries again after this.
RETRY_AFTER = 5.0
# A notice still unsent after this (Telegram unreachable for a day) is dropped: old news.
STALE_AFTER = 24 * 3600.0


@dataclass(frozen=True)
class Outgoing:
    id: int
    chat_id: int
    body: str


class Outbox:
    """`holder` names this process among the replicas (a new name for every start)."""

    def __init__(self, store: Store, clock: Clock, holder: str) -> None:
        self._store = store
        self._clock = clock
        self._holder = holder

    def hold(self, messages: Sequence[tuple[int, str]]) -> list[Outgoing]:
        """Store these (chat id, rendered body) pairs, held by the caller, who sends them."""
        if not messages:
            return []
        now = self._clock()
        with self._store.transaction() as tx:
            return [
                Outgoing(
                    tx.outbox.add(chat_id, body, utc(now), self._holder, utc(now + HOLD)),
                    chat_id,
                    body,
                )
                for chat_id, body in messages
            ]

    def orphans(self) -> list[Outgoing]:
        """Notices nobody holds (their sender died, stopped before sending, or could not
        reach Telegram), held now by the caller, who sends them."""
        now = self._clock()
        with self._store.claiming() as tx:
            rows = tx.outbox.claim(utc(now), self._holder, utc(now + HOLD))
            stale = [row.id for row in rows if row.created_at < utc(now - STALE_AFTER)]
            if stale:
                tx.outbox.done(stale)
            return [Outgoing(row.id, row.chat_id, row.body) for row in rows if row.id not in stale]

    def retry(self, message_ids: Sequence[int]) -> None:
        """Not sent (Telegram could not be reached): any replica tries again soon."""
        if message_ids:
            with self._store.transaction() as tx:
                tx.outbox.release(list(message_ids), utc(self._clock() + RETRY_AFTER))

    def sent(self, message_ids: Sequence[int]) -> None:
        """Sent, or refused for good: never sent again."""
        if message_ids:
            with self._store.transaction() as tx:
                tx.outbox.done(list(message_ids))
