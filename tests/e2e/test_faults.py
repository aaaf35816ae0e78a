"""Telegram on a bad day: flood control, server errors, and failures while deleting codes.
The bot keeps serving, and a code a user asked for still reaches them where it can."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pyotp
import pytest

from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, setup_team
from tests.e2e.test_codes import (
    add_account,
    answered_once,
    audit_lines,
    deletion_of,
    sweep_done,
)
from tests.e2e.test_notifications import notice_to


def code_now(bot: Bot) -> str:
    return pyotp.TOTP(SECRET).at(bot.clock.now)


def to(chat_id: int) -> Callable[[dict[str, Any]], bool]:
    return lambda params: params["chat_id"] == chat_id


async def test_code_reply_is_retried_after_flood_control(bot: Bot) -> None:
    await setup_team(bot)
    member = bot.people.member
    bot.tg.fail("sendMessage", status=429, retry_after=1, where=lambda p: p["chat_id"] == member.id)
    reply = await bot.say(member, "/code")
    assert code_now(bot) in reply["text"]
    attempts = [c for c in bot.tg.calls("sendMessage") if c.params["chat_id"] == member.id]
    assert [c.status for c in attempts] == [429, 200]


@pytest.mark.parametrize("status", [500, 502])
async def test_polling_goes_on_after_a_server_error(
    bot: Bot, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    await setup_team(bot)
    member = bot.people.member
    bot.tg.fail("getUpdates", status=status)
    first = await bot.say(member, "/code")  # the long poll waiting now returns this one
    failed = await bot.tg.wait_for("getUpdates", where=lambda c: c.status == status)
    assert failed.status == status
    second = await bot.say(member, "/code")
    assert code_now(bot) in first["text"]
    assert code_now(bot) in second["text"]
    assert bot.tg.token not in caplog.text


async def test_code_reply_survives_two_floods_and_a_server_error(bot: Bot) -> None:
    await setup_team(bot)
    member = bot.people.member
    to_member = to(member.id)
    bot.tg.fail("sendMessage", status=429, retry_after=1, times=2, where=to_member)
    bot.tg.fail("sendMessage", status=502, where=to_member)
    reply = await bot.say(member, "/code")
    assert code_now(bot) in reply["text"]
    attempts = [c.status for c in bot.tg.calls("sendMessage") if to_member(c.params)]
    assert attempts == [429, 429, 502, 200]
    assert "granted" in await notice_to(bot, bot.people.owner)
    await bot.settle()
    delivered = [c for c in bot.tg.calls("sendMessage") if c.ok and to_member(c.params)]
    assert len(delivered) == 1


async def test_code_reply_waits_out_an_outage_and_carries_the_current_code(bot: Bot) -> None:
    await setup_team(bot)
    member, owner = bot.people.member, bot.people.owner
    bot.tg.fail("sendMessage", status=502, times=10_000)
    await bot.tg.send(member, bot.tg.private(member), "/code")
    first = await bot.tg.wait_for("sendMessage", where=lambda c: to(member.id)(c.params))
    assert first.status == 502
    asked_code = code_now(bot)
    bot.clock.advance(30)  # the code asked for expires while Telegram is down
    await asyncio.sleep(10)
    bot.tg.clear_faults()
    reply = await bot.tg.next_message(member, timeout=15)
    assert code_now(bot) in reply["text"]
    assert asked_code not in reply["text"]
    notice = await notice_to(bot, owner)
    assert "granted" in notice
    await bot.settle()
    delivered = [c for c in bot.tg.calls("sendMessage") if c.ok and to(member.id)(c.params)]
    assert len(delivered) == 1
    granted_told = [c for c in bot.tg.calls("sendMessage") if c.ok and to(owner.id)(c.params)]
    assert granted_told[-1].index > delivered[0].index  # told after the member had it
    log = await audit_lines(bot, 5)
    assert sum("asked for a code" in line for line in log) == 1  # renewed: the same request


async def test_reply_telegram_refuses_for_good_is_told_as_not_delivered(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    await setup_team(bot)
    member = bot.people.member
    bot.tg.fail(
        "sendMessage",
        status=403,
        description="Forbidden: bot was blocked by the user",
        where=to(member.id),
    )
    await bot.tg.send(member, bot.tg.private(member), "/code")
    lost = await bot.tg.wait_for("sendMessage", where=lambda c: to(member.id)(c.params))
    assert lost.status == 403
    notice = await notice_to(bot, bot.people.owner)
    assert "not delivered" in notice
    assert "✅ granted" not in notice
    reply = await bot.say(member, "/code")  # the bot is still serving
    assert code_now(bot) in reply["text"]
    assert "failed: Forbidden" in caplog.text  # logged by kind, not swallowed
    assert bot.tg.token not in caplog.text


async def test_code_is_delivered_even_if_the_button_answer_fails(bot: Bot) -> None:
    await setup_team(bot)
    await add_account(bot, "ebay-de", OTHER_SECRET)
    member = bot.people.member
    picker = await bot.say(member, "/code")
    bot.tg.fail("answerCallbackQuery", status=500)
    await bot.tg.press(member, picker, text="ebay-de")
    reply = await bot.tg.next_message(member)
    assert pyotp.TOTP(OTHER_SECRET).at(bot.clock.now) in reply["text"]


async def test_failed_button_alert_does_not_stop_the_bot(bot: Bot) -> None:
    group = await setup_team(bot)
    await add_account(bot, "ebay-de", OTHER_SECRET)
    picker = await bot.say(bot.people.member, "/code", chat=group)
    bot.tg.fail("answerCallbackQuery", status=502)
    await bot.tg.press(bot.people.stranger, picker, text="amazon-us")
    await bot.tg.wait_for("answerCallbackQuery")
    query = await bot.tg.press(bot.people.member, picker, text="amazon-us")
    reply = await bot.tg.next_message(group)
    assert code_now(bot) in reply["text"]
    await answered_once(bot, query)


# ------------------------------------------------------------------- deleting


async def test_failed_deletion_is_tried_again_but_hopeless_ones_are_dropped(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    group = await setup_team(bot)
    p = bot.people
    gone = await bot.say(p.owner, "/code")  # the owner deletes it himself
    bot.tg.delete_message(p.owner, gone["message_id"])
    flaky = await bot.say(p.member, "/code")  # Telegram fails the first deletion
    bot.tg.fail("deleteMessage", status=500, where=lambda params: params["chat_id"] == p.member.id)
    upgraded = await bot.say(p.member, "/code", chat=group)  # the group becomes a supergroup
    await bot.tg.migrate_to_supergroup(group, by=p.admin)
    await bot.settle()
    bot.clock.advance(26)
    first = await bot.tg.wait_for("deleteMessage", where=deletion_of(p.member, flaky))
    assert first.status == 500
    second = await bot.tg.wait_for("deleteMessage", where=deletion_of(p.member, flaky))
    assert second.ok
    assert bot.tg.is_deleted(p.member, flaky["message_id"])
    await sweep_done(bot)
    for chat, message in ((p.owner, gone), (group, upgraded)):
        attempts = [c for c in bot.tg.calls("deleteMessage") if deletion_of(chat, message)(c)]
        assert [c.status for c in attempts] == [400]
    noise = [
        r for r in caplog.records if r.name == "bot.chat.sweeper" and r.levelno >= logging.WARNING
    ]
    assert noise == []


async def test_code_reaches_the_group_when_the_request_was_deleted_at_once(bot: Bot) -> None:
    group = await setup_team(bot)
    request = await bot.tg.send(bot.people.member, group, "/code")
    bot.tg.delete_message(group, request["message_id"])  # tidy groups delete commands
    reply = await bot.tg.next_message(group)
    assert code_now(bot) in reply["text"]
    assert "reply_to_message" not in reply


# -------------------------------------------------------------------- outages


async def test_polling_survives_an_outage_and_answers_once_when_it_ends(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    await setup_team(bot)
    p = bot.people
    for method in ("getUpdates", "sendMessage", "deleteMessage"):
        bot.tg.fail(method, status=502, times=10_000)
    await bot.tg.send(p.owner, bot.tg.private(p.owner), "hello")  # ends the poll in flight
    await bot.tg.wait_for("getUpdates", where=lambda c: c.status == 502)
    await bot.tg.send(p.member, bot.tg.private(p.member), "/code")  # asked during the outage
    await asyncio.sleep(20)
    bot.tg.clear_faults()
    reply = await bot.tg.next_message(p.member, timeout=40)
    assert code_now(bot) in reply["text"]
    await bot.settle()
    delivered = [c for c in bot.tg.calls("sendMessage") if c.ok and to(p.member.id)(c.params)]
    assert len(delivered) == 1
    polls = bot.tg.calls("getUpdates")
    assert sum(c.status == 502 for c in polls) >= 3  # it kept trying, with pauses between
    outage = [r.getMessage() for r in caplog.records if r.name == "bot.chat.connection"]
    down = [line for line in outage if line.startswith("cannot reach the Telegram Bot API")]
    assert down == [
        "cannot reach the Telegram Bot API (HTTP 502); polling goes on with growing pauses"
    ]
    assert any(line.startswith("the Telegram Bot API answers again") for line in outage)
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.exc_info]
