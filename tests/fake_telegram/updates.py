"""The update queue behind ``getUpdates``: long polling, offsets, ``allowed_updates``.

Real semantics matter for a bot's restart behaviour: updates stay queued until the bot
confirms them by asking for ``offset = last update_id + 1``; unconfirmed ones are
delivered again (also to a restarted bot). ``allowed_updates`` is remembered between
calls and applies to updates created after it was set; ``chat_member`` updates are
only produced when asked for.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from .errors import ApiError, bad_request

#: Update types Telegram leaves out unless ``allowed_updates`` names them.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue:
    """Pending updates, the confirmed offset and the waiting long poll."""

    def __init__(self, first_update_id: int = 10001) -> None:
        self._ids = itertools.count(first_update_id)
        self.pending: list[dict[str, Any]] = []
        self.allowed_updates: list[str] | None = None
        self.confirmed_offset = 0
        self._changed = asyncio.Event()
        self._poll_generation = 0

    def wants(self, kind: str) -> bool:
        """Whether an update of ``kind`` would be produced under the current filter."""
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in OPT_IN_UPDATES

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update (or drop it, as Telegram would, when the bot did not ask for it)."""
        if not self.wants(kind):
            return None
        update = {"update_id": next(self._ids), kind: payload}
        self.pending.append(update)
        self.wake()
        return update

    def remove(self, update: dict[str, Any]) -> None:
        """One update delivered by webhook: confirmed as a poll's offset would confirm it."""
        if update in self.pending:
            self.pending.remove(update)
            self.confirmed_offset = max(self.confirmed_offset, update["update_id"] + 1)

    def drop_pending(self) -> None:
        """``deleteWebhook(drop_pending_updates=True)``: forget everything queued."""
        if self.pending:
            self.confirmed_offset = max(self.confirmed_offset, self.pending[-1]["update_id"] + 1)
        self.pending.clear()

    def wake(self) -> None:
        """Tell who waits on :meth:`change` (a long poll, the webhook delivery)."""
        self._changed.set()
        self._changed = asyncio.Event()

    def change(self) -> asyncio.Event:
        """An event set at the next change: an update queued, a webhook set or removed."""
        return self._changed

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
            self.confirmed_offset = max(self.confirmed_offset, offset)
        elif offset < 0:
            keep = self.pending[offset:]
            if self.pending and len(keep) < len(self.pending):
                self.confirmed_offset = max(self.confirmed_offset, keep[0]["update_id"])
            self.pending = keep

    async def get(
        self,
        *,
        offset: int | None,
        limit: int | None,
        poll_timeout: int | None,
        allowed_updates: list[str] | None,
        stopping: asyncio.Event,
    ) -> list[dict[str, Any]]:
        """``getUpdates``: confirm up to ``offset``, then wait up to ``poll_timeout`` s for updates.

        A newer ``getUpdates`` ends a waiting one with 409 Conflict, as Telegram does when
        two bot instances poll with the same token.
        """
        if limit is not None and not 1 <= limit <= 100:
            limit = 100 if limit > 100 else 1
        if allowed_updates is not None:
            self.allowed_updates = list(allowed_updates)
        if offset:
            self._confirm(offset)
        self._poll_generation += 1
        self.wake()  # end an older poll still waiting
        generation = self._poll_generation
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0, poll_timeout or 0)
        while not self.pending and not stopping.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            changed = self._changed
            stop_wait = asyncio.ensure_future(stopping.wait())
            change_wait = asyncio.ensure_future(changed.wait())
            try:
                await asyncio.wait(
                    {stop_wait, change_wait},
                    timeout=remaining,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                stop_wait.cancel()
                change_wait.cancel()
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
        return self.pending[: limit or 100]


def check_allowed_updates(value: Any) -> list[str] | None:
    """Validate ``allowed_updates`` (a list of update type names) or refuse it."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request("allowed_updates must be a JSON array of strings", violation=True)
    return list(value)
