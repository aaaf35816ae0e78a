"""What the bot waits for in private (the secret after `/secret add NAME`, a new name after an
import) ends when it is answered, after five minutes, with /cancel, and when the same
person sends any other command anywhere; it survives a restart, so a secret sent while the
bot was down is still deleted and added, and nothing is mistaken for an answer days later.

A question costs only those who have one: a `/code` from anyone else never looks for one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pyotp

from tests.e2e.conftest import SECRET, Bot, ask, setup_team
from tests.e2e.test_codes import stop
from tests.e2e.watch import TransactionLog

# Not a secret and not a name: what an admin might type long after being asked.
HELLO = "hello, are you there?"


async def asked_for_secret(bot: Bot, name: str = "amazon-us") -> None:
    answer = await bot.say(bot.people.owner, f"/secret add {name}")
    assert f"Send the secret for {name} now" in answer["text"]


async def left_alone(bot: Bot, text: str) -> bool:
    """The owner sends `text` privately: True when the bot neither deleted it nor answered."""
    owner = bot.people.owner
    sent = await bot.tg.send(owner, bot.tg.private(owner), text)
    await bot.settle()
    answered = [
        m
        for m in bot.tg.messages(bot.tg.private(owner))
        if m["from"]["is_bot"] and m["message_id"] > sent["message_id"]
    ]
    return not bot.tg.is_deleted(owner, sent["message_id"]) and not answered


async def listed(bot: Bot) -> str:
    return str((await bot.say(bot.people.owner, "/secret list"))["text"])


async def test_another_command_ends_the_question(bot: Bot) -> None:
    owner = bot.people.owner
    await asked_for_secret(bot)
    await bot.say(owner, "/accounts")
    assert await left_alone(bot, HELLO)
    # A secret sent now is still deleted, but it answers nothing: nothing is added.
    hint = await bot.say(owner, SECRET)
    assert "/secret add NAME SECRET" in hint["text"]
    assert "No accounts yet" in await listed(bot)


async def test_a_command_in_a_group_ends_the_question_too(bot: Bot) -> None:
    group = bot.tg.group("Team")
    await bot.tg.add_bot_to_group(group, by=bot.people.owner)
    await bot.tg.next_message(group)  # "approved"
    await asked_for_secret(bot)
    await bot.say(bot.people.owner, "/code", chat=group)
    assert await left_alone(bot, HELLO)
    assert "Nothing to cancel" in (await bot.say(bot.people.owner, "/cancel"))["text"]


async def test_asking_again_replaces_the_question(bot: Bot) -> None:
    owner = bot.people.owner
    await asked_for_secret(bot, "amazon-us")
    await asked_for_secret(bot, "ebay-de")  # a command too: it ends the first question
    await bot.tg.send(owner, bot.tg.private(owner), SECRET)
    added = await bot.tg.next_message(owner)
    assert "Added ebay-de" in added["text"]
    await bot.tg.next_message(owner)  # the code
    assert "amazon-us" not in await listed(bot)


async def test_cancel_ends_the_question_and_says_so(bot: Bot) -> None:
    owner = bot.people.owner
    await asked_for_secret(bot)
    assert "Cancelled" in (await bot.say(owner, "/cancel"))["text"]
    assert await left_alone(bot, HELLO)
    assert "Nothing to cancel" in (await bot.say(owner, "/cancel"))["text"]


async def test_a_secret_sent_while_the_bot_restarts_is_deleted_and_added(
    start_bot: Callable[..., Any],
) -> None:
    first: Bot = await start_bot()
    owner = first.people.owner
    chat = first.tg.private(owner)
    await asked_for_secret(first)
    await stop(first)
    sent = await first.tg.send(owner, chat, SECRET.lower())  # Telegram keeps it for the bot

    second: Bot = await start_bot()
    added = await second.tg.next_message(chat)
    assert second.tg.is_deleted(chat, sent["message_id"])
    assert "Added amazon-us" in added["text"]
    code = await second.tg.next_message(chat)
    assert pyotp.TOTP(SECRET).at(second.clock.now) in code["text"]
    assert "amazon-us" in await listed(second)


async def test_a_question_asked_before_a_restart_can_be_cancelled_after_it(
    start_bot: Callable[..., Any],
) -> None:
    first: Bot = await start_bot()
    await asked_for_secret(first)
    await stop(first)
    second: Bot = await start_bot()
    assert "Cancelled" in (await second.say(second.people.owner, "/cancel"))["text"]
    assert await left_alone(second, HELLO)


async def test_another_command_after_a_restart_still_ends_the_question(
    start_bot: Callable[..., Any],
) -> None:
    first: Bot = await start_bot()
    await asked_for_secret(first)
    await stop(first)
    second: Bot = await start_bot()
    await second.say(second.people.owner, "/help")
    assert await left_alone(second, HELLO)


async def test_a_question_from_before_a_restart_is_forgotten_days_later(
    start_bot: Callable[..., Any],
) -> None:
    first: Bot = await start_bot()
    await asked_for_secret(first)
    await stop(first)
    first.clock.advance(2 * 24 * 3600)
    second: Bot = await start_bot()
    assert await left_alone(second, HELLO)
    assert "Nothing to cancel" in (await second.say(second.people.owner, "/cancel"))["text"]


async def test_a_code_from_someone_with_no_question_never_looks_for_one(bot: Bot) -> None:
    """Nor, where replicas share the store, waits for anyone to look."""
    group = await setup_team(bot)
    member = bot.people.member
    await asked_for_secret(bot, "ebay-de")  # the owner has one open: others still pay nothing
    log = TransactionLog()
    log.watch(bot.store)
    log.recording = True
    for chat in (group, None):
        reply = await ask(bot, member, "/code", chat=chat)
        assert "amazon-us" in reply["text"]
    await asyncio.sleep(0.2)  # room for anything else the updates would (wrongly) do
    log.recording = False
    assert log.transactions
    looked = [t for t in log.transactions if t.touches("pending_inputs")]
    if bot.on_sqlite:
        assert looked == []
    else:  # replicas share questions: each message looks, without the lock, writing nothing
        assert len(looked) == 2, looked
        assert not any(t.writes("pending_inputs") or t.locks() for t in looked), looked
