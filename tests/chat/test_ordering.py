"""Updates of different chats at once, of one chat in order; flood control answered per
chat. The end-to-end tests show what a user sees; these pin down the mechanics (locks
dropped once a chat is idle, nothing waited for on shutdown)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from telegram import Chat, Message, Update, User
from telegram.error import RetryAfter

from bot.chat.flood import ChatRateLimiter
from bot.chat.ordering import ChatOrderedProcessor

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE if chat_id > 0 else Chat.GROUP)
    return Update(update_id, message=Message(update_id, datetime.now(UTC), chat))


async def test_one_chat_in_order_other_chats_at_once() -> None:
    processor = ChatOrderedProcessor()
    await processor.initialize()
    done: list[int] = []
    slow = asyncio.Event()

    async def handle(update_id: int, *, wait: bool = False) -> None:
        if wait:
            await slow.wait()
        done.append(update_id)

    first = asyncio.create_task(processor.process_update(update(1, 10), handle(1, wait=True)))
    second = asyncio.create_task(processor.process_update(update(2, 10), handle(2)))
    other = asyncio.create_task(processor.process_update(update(3, 20), handle(3)))
    await other
    assert done == [3]  # another chat did not wait
    assert processor.chats_in_hand == 1
    slow.set()
    await asyncio.gather(first, second)
    assert done == [3, 1, 2]  # chat 10 in the order its updates came
    assert processor.chats_in_hand == 0  # nothing kept for idle chats


def said_in_group(update_id: int, chat_id: int, user_id: int) -> Update:
    chat = Chat(chat_id, Chat.SUPERGROUP)
    sender = User(user_id, f"user {user_id}", is_bot=False)
    said = Message(update_id, datetime.now(UTC), chat, sender, text="/code")
    return Update(update_id, message=said)


async def test_in_a_group_each_person_in_order_and_different_people_at_once() -> None:
    """A stranger's flood in the team's group does not hold up a member there."""
    processor = ChatOrderedProcessor()
    await processor.initialize()
    done: list[int] = []
    slow = asyncio.Event()

    async def handle(update_id: int, *, wait: bool = False) -> None:
        if wait:
            await slow.wait()
        done.append(update_id)

    group = -100
    first = asyncio.create_task(
        processor.process_update(said_in_group(1, group, 7), handle(1, wait=True))
    )
    second = asyncio.create_task(processor.process_update(said_in_group(2, group, 7), handle(2)))
    other = asyncio.create_task(processor.process_update(said_in_group(3, group, 8), handle(3)))
    await other
    assert done == [3]  # another person in the same group did not wait
    slow.set()
    await asyncio.gather(first, second)
    assert done == [3, 1, 2]  # person 7 in the order their messages came
    assert processor.chats_in_hand == 0


async def test_a_stranger_s_stickers_in_a_group_hold_up_nobody_else() -> None:
    """Whatever a person sends (here a message with no text: a sticker, a voice note) is
    theirs to order, not the group's."""
    processor = ChatOrderedProcessor()
    await processor.initialize()
    done: list[int] = []
    slow = asyncio.Event()

    async def handle(update_id: int, *, wait: bool = False) -> None:
        if wait:
            await slow.wait()
        done.append(update_id)

    chat = Chat(-100, Chat.SUPERGROUP)
    sticker = Message(1, datetime.now(UTC), chat, User(7, "eve", is_bot=False))
    first = asyncio.create_task(
        processor.process_update(Update(1, message=sticker), handle(1, wait=True))
    )
    other = asyncio.create_task(processor.process_update(said_in_group(2, -100, 8), handle(2)))
    await asyncio.wait({other}, timeout=1)
    assert done == [2], "another person's message waited for the sticker"
    slow.set()
    await first
    assert processor.chats_in_hand == 0


async def test_an_event_of_the_group_waits_for_everyone_before_it_and_everyone_after_for_it() -> (
    None
):
    """Someone joins (an event of the group as a whole) while a member's message is in
    hand: the join waits for it, and a stranger's message after the join waits for that."""
    processor = ChatOrderedProcessor()
    await processor.initialize()
    done: list[int] = []
    slow = asyncio.Event()

    async def handle(update_id: int, *, wait: bool = False) -> None:
        if wait:
            await slow.wait()
        done.append(update_id)

    group = -100
    chat = Chat(group, Chat.SUPERGROUP)
    joined = Message(
        2,
        datetime.now(UTC),
        chat,
        User(9, "new", is_bot=False),
        new_chat_members=(User(9, "new", is_bot=False),),
    )
    first = asyncio.create_task(
        processor.process_update(said_in_group(1, group, 7), handle(1, wait=True))
    )
    event = asyncio.create_task(processor.process_update(Update(2, message=joined), handle(2)))
    after = asyncio.create_task(processor.process_update(said_in_group(3, group, 8), handle(3)))
    await asyncio.sleep(0.05)
    assert done == []
    slow.set()
    await asyncio.gather(first, event, after)
    assert done == [1, 2, 3]
    assert processor.chats_in_hand == 0


async def test_after_close_updates_that_did_not_start_are_dropped() -> None:
    processor = ChatOrderedProcessor()
    await processor.initialize()
    release = asyncio.Event()
    done: list[int] = []

    async def handle(update_id: int) -> None:
        if update_id == 1:
            await release.wait()
        done.append(update_id)

    running = asyncio.create_task(processor.process_update(update(1, 10), handle(1)))
    waiting = [
        asyncio.create_task(processor.process_update(update(n, 10), handle(n)))
        for n in range(2, 50)
    ]
    await asyncio.sleep(0)
    processor.close()
    release.set()
    await asyncio.gather(running, *waiting)
    assert done == [1]
    assert processor.chats_in_hand == 0


class Telegram:
    """A send callback: refuses chat 10 with 429 the first `refusals` times."""

    def __init__(self, refusals: int, retry_after: int = 1) -> None:
        self.refusals = refusals
        self.retry_after = retry_after
        self.sent: list[int] = []

    async def send(self, chat_id: int) -> bool:
        if chat_id == 10 and self.refusals:
            self.refusals -= 1
            raise RetryAfter(self.retry_after)
        self.sent.append(chat_id)
        return True


async def send(limiter: ChatRateLimiter, telegram: Telegram, chat_id: int) -> Any:
    return await limiter.process_request(
        telegram.send, (chat_id,), {}, "sendMessage", {"chat_id": chat_id}, None
    )


async def test_flood_control_holds_back_only_the_chat_refused() -> None:
    limiter = ChatRateLimiter()
    telegram = Telegram(refusals=1)
    retried = asyncio.create_task(send(limiter, telegram, 10))
    await asyncio.sleep(0.05)
    assert await send(limiter, telegram, 20)  # another chat goes at once
    assert telegram.sent == [20]
    assert await retried  # chat 10 once Telegram allows it
    assert telegram.sent == [20, 10]


async def test_a_long_wait_is_not_waited_out_and_shutdown_waits_for_nothing() -> None:
    limiter = ChatRateLimiter(longest_wait=5)
    with pytest.raises(RetryAfter):
        await send(limiter, Telegram(refusals=1, retry_after=30), 10)
    telegram = Telegram(refusals=1, retry_after=3)
    waiting = asyncio.create_task(send(limiter, telegram, 10))
    await asyncio.sleep(0.05)
    limiter.close()
    with pytest.raises(RetryAfter):
        await asyncio.wait_for(waiting, 1)
    assert telegram.sent == []
