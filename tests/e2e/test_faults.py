"""Telegram on a bad day: flood control, server errors, and failures while deleting codes.
The bot keeps serving, and a code a user asked for still reaches them where it can."""

from __future__ import annotations

import pyotp
import pytest

from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, setup_team
from tests.e2e.test_codes import add_account, answered_once, deletion_of, sweep_done


def code_now(bot: Bot) -> str:
    return pyotp.TOTP(SECRET).at(bot.clock.now)


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


@pytest.mark.parametrize("status", [500, 502])
async def test_failed_reply_does_not_stop_the_bot(
    bot: Bot, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    await setup_team(bot)
    member = bot.people.member
    bot.tg.fail("sendMessage", status=status, where=lambda p: p["chat_id"] == member.id)
    await bot.tg.send(member, bot.tg.private(member), "/code")
    lost = await bot.tg.wait_for("sendMessage", where=lambda c: c.params["chat_id"] == member.id)
    assert lost.status == status
    reply = await bot.say(member, "/code")
    assert code_now(bot) in reply["text"]
    assert "failed: NetworkError" in caplog.text  # logged by kind, not swallowed
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


async def test_failed_deletion_is_tried_again_but_hopeless_ones_are_dropped(bot: Bot) -> None:
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


async def test_code_reaches_the_group_when_the_request_was_deleted_at_once(bot: Bot) -> None:
    group = await setup_team(bot)
    request = await bot.tg.send(bot.people.member, group, "/code")
    bot.tg.delete_message(group, request["message_id"])  # tidy groups delete commands
    reply = await bot.tg.next_message(group)
    assert code_now(bot) in reply["text"]
    assert "reply_to_message" not in reply
