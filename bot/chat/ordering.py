"""Updates from different chats are handled at the same time, those of one chat in order.

PTB handles updates one after another by default: a burst of strangers' commands, each
waiting for its reply to get past Telegram's flood control, would hold up a member's
`/code` in another chat for as long as the burst lasts. Handling every update at once
would answer one chat's messages out of order (a secret could be read before the
`/secret add` that asked for it). So each chat gets a turn: a lock that its updates take
in the order they arrived, kept only while the chat has an update in hand.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

logger = logging.getLogger(__name__)

# Updates in hand at once, waiting for their chat's turn included. Above it, PTB holds
# further updates back, whatever their chat: high enough that a flood in a few chats
# leaves room for everyone else.
MAX_IN_HAND = 4096


@dataclass
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holders: int = 0  # updates of this chat in hand: running or waiting


def chat_key(update: object) -> int | None:
    """The chat whose order an update keeps: its chat, else its sender (inline queries)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    def __init__(self, max_in_hand: int = MAX_IN_HAND) -> None:
        super().__init__(max_in_hand)
        self._turns: dict[int, _Turn] = {}
        self._closing = False
        self._dropped = 0

    @property
    def chats_in_hand(self) -> int:
        """Chats with an update running or waiting (their locks are all that is kept)."""
        return len(self._turns)

    def close(self) -> None:
        """From now on, updates that have not started are dropped, as PTB drops what is
        still queued when it stops: shutdown does not wait for a flood to be worked off."""
        self._closing = True

    async def initialize(self) -> None:
        self._closing, self._dropped = False, 0

    async def shutdown(self) -> None:
        self._closing = True
        if self._dropped:
            logger.info("%d updates that came during shutdown were not handled", self._dropped)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await self._run(coroutine)
            return
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = _Turn()
        turn.holders += 1
        try:
            async with turn.lock:
                await self._run(coroutine)
        finally:
            _close(coroutine)  # cancelled while waiting for the turn: never started
            turn.holders -= 1
            if not turn.holders:
                del self._turns[key]

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        if self._closing:
            _close(coroutine)
            self._dropped += 1
            return
        await coroutine


def _close(coroutine: Awaitable[Any]) -> None:
    """Close a coroutine that will never run, so Python does not warn it was not awaited
    (closing one that has run is harmless)."""
    if inspect.iscoroutine(coroutine):
        coroutine.close()
