"""Each update handled once, by one replica.

Telegram sends an update again when the answer to its webhook call was slow or failed,
and behind a load balancer the second delivery may reach another replica; polling after a
crash may fetch again what was handled but not yet confirmed. The first replica to record
an update's id handles it; the others drop it. Ids are kept for a day, longer than
Telegram keeps an update.
"""

from __future__ import annotations

from bot.rules.clock import Clock, utc
from storage.store import Store

KEPT_FOR = 24 * 3600.0
# Ids older than a day are dropped at most this often (per process): not on every update,
# which should cost one insert and nothing more.
FORGET_EVERY = 60.0


class Updates:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._forget_after = float("-inf")

    def first_time(self, update_id: int) -> bool:
        """Record the update; False when some replica (or an earlier run) took it before."""
        now = self._clock()
        if now >= self._forget_after:
            self._forget_after = now + FORGET_EVERY
            with self._store.racing() as tx:
                tx.updates.forget_before(utc(now - KEPT_FOR))
        with self._store.racing() as tx:
            return tx.updates.take(update_id, utc(now))
