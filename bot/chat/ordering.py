"""Updates from different chats are handled at the same time, those of one chat in order;
in a group, what each person says there in order, and the group's own events before and
after everything else.

PTB handles updates one after another by default: a burst of strangers' commands, each
waiting for its reply to get past Telegram's flood control, would hold up a member's
`/code` in another chat for as long as the burst lasts. Handling every update at once
would answer one chat's messages out of order (a secret could be read before the
`/secret add` that asked for it). So updates wait for the earlier ones they may depend
on, and for no others:

- in a private chat, for every earlier one of that chat;
- in a group, a person's message or button press for the person's earlier ones there,
  since what different people say does not depend on each other (strangers flooding the
  team's group must not hold up a member's `/code` there);
- in a group, the group's own events (the bot added or removed, someone joining or
  leaving, the group becoming a supergroup) for every earlier update there, and every
  later update there for them: a command right after the bot was added sees it added.

Nothing is kept for a chat once it has no update in hand.
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

# Updates in hand at once, waiting for their turn included. Above it, PTB holds further
# updates back, whatever their chat: high enough that a flood in a few chats leaves room
# for everyone else.
MAX_IN_HAND = 4096


@dataclass(frozen=True)
class Lane:
    """Where an update keeps its order: a chat, and in a group the person whose message
    or press it is (None: an event of the chat as a whole, or a private chat)."""

    chat_id: int
    person: int | None = None


def lane_of(update: object) -> Lane | None:
    if not isinstance(update, Update):
        return None
    chat, sender = update.effective_chat, update.effective_user
    if chat is None:
        return None if sender is None else Lane(sender.id)  # inline queries
    if chat.type != chat.PRIVATE and sender is not None and not _of_the_group(update):
        return Lane(chat.id, sender.id)
    return Lane(chat.id)


def _of_the_group(update: Update) -> bool:
    """An event of the group as a whole: the bot or someone joining or leaving, the group
    made or becoming a supergroup. Anything else a person sends or presses (text, a
    photo, a sticker, an edit, a button) is theirs: a stranger's flood of any kind must
    not line up the group behind it."""
    if update.message is None and update.edited_message is None:
        return update.callback_query is None
    message = update.message
    return message is not None and any(
        (
            message.new_chat_members,
            message.left_chat_member,
            message.migrate_to_chat_id,
            message.migrate_from_chat_id,
            message.group_chat_created,
            message.supergroup_chat_created,
        )
    )


@dataclass
class _Chat:
    """What one chat has in hand: the end of its latest event of the chat as a whole, the
    ends of the people's updates since that are still in hand, each person's latest, and
    how many updates are in hand (nothing of a finished update is kept)."""

    whole: asyncio.Event | None = None
    since: set[asyncio.Event] = field(default_factory=set)
    latest: dict[int, asyncio.Event] = field(default_factory=dict)
    in_hand: int = 0

    def enter(self, person: int | None) -> tuple[list[asyncio.Event], asyncio.Event]:
        """What an update must wait for, and the event that marks its end."""
        done = asyncio.Event()
        if person is None:
            before = [*([self.whole] if self.whole else []), *self.since]
            self.whole, self.since, self.latest = done, set(), {}
        else:
            before = [e for e in (self.whole, self.latest.get(person)) if e is not None]
            self.latest[person] = done
            self.since.add(done)
        self.in_hand += 1
        return before, done

    def leave(self, person: int | None, done: asyncio.Event) -> None:
        done.set()
        self.in_hand -= 1
        self.since.discard(done)
        if person is not None and self.latest.get(person) is done:
            del self.latest[person]
        if self.whole is done:
            self.whole = None


class ChatOrderedProcessor(BaseUpdateProcessor):
    def __init__(self, max_in_hand: int = MAX_IN_HAND) -> None:
        super().__init__(max_in_hand)
        self._chats: dict[int, _Chat] = {}
        self._closing = False
        self._dropped = 0

    @property
    def chats_in_hand(self) -> int:
        """Chats with an update running or waiting (only theirs is kept)."""
        return len(self._chats)

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
        lane = lane_of(update)
        if lane is None:
            await self._run(coroutine)
            return
        chat = self._chats.setdefault(lane.chat_id, _Chat())
        before, done = chat.enter(lane.person)
        try:
            for earlier in before:
                await earlier.wait()
            await self._run(coroutine)
        finally:
            _close(coroutine)  # cancelled while waiting for its turn: never started
            chat.leave(lane.person, done)
            if not chat.in_hand:
                del self._chats[lane.chat_id]

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
