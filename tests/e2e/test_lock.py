"""The freeze switch (/lock, /unlock): every code stops at once for everyone but owners,
old buttons too; every admin hears of it with who did it; /status and every refused
request say the bot is locked; a restart keeps the lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyotp

from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, ask, setup_team
from tests.e2e.test_codes import stop

LOCKED = "The bot is locked"


def amazon_code(bot: Bot) -> str:
    return pyotp.TOTP(SECRET).at(bot.clock.now)


async def test_lock_stops_a_members_private_and_group_code_and_an_old_button(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    group = await setup_team(bot)
    await tg.send(p.admin, tg.private(p.admin), f"/secret add ebay {OTHER_SECRET}")
    await tg.next_message(tg.private(p.admin))
    await tg.next_message(tg.private(p.admin))
    picker = await ask(bot, p.member, "/code", chat=group)  # two accounts: the picker
    assert picker["text"] == "Which account?"

    locked = await ask(bot, p.admin, "/lock", chat=group)
    assert "Locked" in locked["text"]

    private = await ask(bot, p.member, "/code amazon-us")
    assert LOCKED in private["text"]
    assert "adam" in private["text"]
    assert amazon_code(bot) not in private["text"]
    in_group = await ask(bot, p.member, "/code amazon-us", chat=group)
    assert LOCKED in in_group["text"]

    query = await tg.press(p.member, picker, text="amazon-us")
    await bot.settle()
    answer = tg.callback_answer(query)
    assert answer is not None
    assert LOCKED in answer.get("text", "")
    assert all(amazon_code(bot) not in m.get("text", "") for m in tg.messages(group))


async def test_owners_still_get_codes_while_locked(bot: Bot) -> None:
    p = bot.people
    group = await setup_team(bot)
    await ask(bot, p.admin, "/lock")
    await bot.tg.next_message(bot.tg.private(p.owner))  # "the bot was locked"
    assert amazon_code(bot) in (await ask(bot, p.owner, "/code"))["text"]
    assert amazon_code(bot) in (await ask(bot, p.owner, "/code", chat=group))["text"]
    # An admin is not an owner: locked out like everyone else.
    assert LOCKED in (await ask(bot, p.admin, "/code"))["text"]


async def test_every_admin_is_told_of_lock_and_unlock_with_who_did_it(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    await setup_team(bot)
    await ask(bot, p.owner, "/notify off")  # a security switch is told all the same
    await ask(bot, p.admin, "/lock")
    told = await tg.next_message(tg.private(p.owner))
    assert "The bot was locked" in told["text"]
    assert "adam" in told["text"]
    assert str(p.admin.id) in told["text"]

    unlocked = await ask(bot, p.admin, "/unlock")
    assert "Unlocked" in unlocked["text"]
    told = await tg.next_message(tg.private(p.owner))
    assert "The bot was unlocked" in told["text"]
    assert "adam" in told["text"]
    assert amazon_code(bot) in (await ask(bot, p.member, "/code"))["text"]


async def test_status_says_the_bot_is_locked(bot: Bot) -> None:
    p = bot.people
    await setup_team(bot)
    assert "Codes: given out" in (await ask(bot, p.admin, "/status"))["text"]
    await ask(bot, p.admin, "/lock")
    status = await ask(bot, p.admin, "/status")
    assert "Codes: 🔒 locked by adam" in status["text"]


async def test_lock_twice_says_who_locked_and_unlock_twice_says_not_locked(bot: Bot) -> None:
    p = bot.people
    await setup_team(bot)
    await ask(bot, p.admin, "/lock")
    await bot.tg.next_message(bot.tg.private(p.owner))  # "the bot was locked"
    again = await ask(bot, p.owner, "/lock")
    assert "Already locked, by adam" in again["text"]
    await ask(bot, p.owner, "/unlock")
    await bot.tg.next_message(bot.tg.private(p.admin))  # "the bot was unlocked"
    assert "not locked" in (await ask(bot, p.admin, "/unlock."))["text"]


async def test_members_and_strangers_cannot_lock_or_unlock(bot: Bot) -> None:
    p = bot.people
    group = await setup_team(bot)
    assert "Only admins" in (await ask(bot, p.member, "/lock"))["text"]
    assert "not a member" in (await ask(bot, p.stranger, "/lock", chat=group))["text"]
    await ask(bot, p.admin, "/lock")
    assert "Only admins" in (await ask(bot, p.member, "/unlock"))["text"]
    assert LOCKED in (await ask(bot, p.member, "/code"))["text"]


async def test_the_lock_survives_a_restart_and_is_audited(
    start_bot: Callable[..., Any],
) -> None:
    first: Bot = await start_bot()
    await setup_team(first)
    await ask(first, first.people.admin, "/lock")
    await stop(first)
    second: Bot = await start_bot()
    assert LOCKED in (await ask(second, second.people.member, "/code"))["text"]
    await ask(second, second.people.admin, "/unlock")
    audit = await ask(second, second.people.admin, "/audit 5")
    assert "locked the bot" in audit["text"]
    assert "unlocked the bot" in audit["text"]
    assert "the bot is locked" in audit["text"]  # the member's refused request


async def test_the_refusal_told_to_admins_says_the_bot_is_locked(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    await setup_team(bot)
    await ask(bot, p.owner, "/lock")
    await tg.next_message(tg.private(p.admin))  # "the bot was locked"
    await ask(bot, p.member, "/code")
    told = await tg.next_message(tg.private(p.admin))
    assert "denied (the bot is locked)" in told["text"]
