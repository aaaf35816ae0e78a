"""Grants that end by themselves: `/add … for 30m|8h|3d` grants until then; the member is
told until when, `/members` and `/accounts` show it, and at the end the grant is gone,
also across a restart, and the member, the admins and the audit log hear of it."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pyotp
import pytest

from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, setup_team
from tests.e2e.test_codes import stop
from tests.fake_telegram import Call, FakeUser

ENDED = "⌛"
HOUR = 3600


def end_shown(at: float) -> str:
    """An end as the bot shows it: rounded up to the minute, in UTC."""
    minute = math.ceil(at / 60) * 60
    return datetime.fromtimestamp(minute, UTC).strftime("%Y-%m-%d %H:%M UTC")


async def reply(bot: Bot, user: FakeUser, text: str, **kwargs: Any) -> str:
    """The answer to `text`, past the notices admins get meanwhile (code requests, ends)."""
    where = kwargs.pop("chat", None) or bot.tg.private(user)
    await bot.tg.send(user, where, text, **kwargs)
    while True:
        message = await bot.tg.next_message(where)
        said: str = message.get("text", "")
        if not said.startswith(("🔔", ENDED)):
            return said


def ended_notice(chat_id: int) -> Callable[[Call], bool]:
    return lambda c: c.params["chat_id"] == chat_id and c.params["text"].startswith(ENDED)


async def told_of_end(bot: Bot, user: FakeUser) -> Call:
    """The next message about an end sent to `user`, once Telegram answered it."""
    call = await bot.tg.wait_for("sendMessage", where=ended_notice(user.id))
    await call.finished()
    return call


async def nina_joins(bot: Bot, *, language_code: str = "en") -> FakeUser:
    """Nina, who talked to the bot (so it knows her name, and may write to her)."""
    nina = bot.tg.user("Nina", language_code=language_code)
    await reply(bot, nina, "/start")
    return nina


async def add_ebay(bot: Bot) -> None:
    admin = bot.people.admin
    await bot.tg.send(admin, bot.tg.private(admin), f"/secret add ebay {OTHER_SECRET}")
    await bot.tg.next_message(bot.tg.private(admin))  # "added"
    await bot.tg.next_message(bot.tg.private(admin))  # its code


def amazon_code(bot: Bot) -> str:
    return pyotp.TOTP(SECRET).at(bot.clock.now)


async def test_grant_for_one_minute_tells_the_member_until_when(bot: Bot) -> None:
    await setup_team(bot)
    nina = await nina_joins(bot)
    end = end_shown(bot.clock.now + 60)
    added = await reply(bot, bot.people.admin, f"/add {nina.id} for 1m")
    assert added == f"✅ Nina is a member, with all accounts until {end} (in 1 min)."
    told = await bot.tg.next_message(nina)
    assert told["text"] == (
        f"🔑 You have access to all accounts until {end} (in 1 min). "
        "Send /code here or in your team's group."
    )
    assert amazon_code(bot) in await reply(bot, nina, "/code")


async def test_a_grant_that_ended_is_refused_at_once_old_buttons_included(
    start_bot: Callable[..., Any],
) -> None:
    # No sweep runs during this test: the end alone must stop the codes.
    bot: Bot = await start_bot(sweep_interval=600)
    await setup_team(bot)
    await add_ebay(bot)
    nina = await nina_joins(bot)
    await reply(bot, bot.people.admin, f"/add {nina.id} for 1m")
    await bot.tg.next_message(nina)  # told until when
    await bot.tg.send(nina, bot.tg.private(nina), "/code")
    picker = await bot.tg.next_message(nina)
    assert "Which account?" in picker["text"]

    bot.clock.advance(2 * 60)
    assert "not a member" in await reply(bot, nina, "/code amazon-us")
    assert "not a member" in await reply(bot, nina, "/accounts")
    query = await bot.tg.press(nina, picker, text="amazon-us")
    await bot.tg.wait_for(
        "answerCallbackQuery", where=lambda c: c.params["callback_query_id"] == query
    )
    answer = bot.tg.callback_answer(query)
    assert answer is not None
    assert answer["show_alert"] is True
    assert "not a member" in answer["text"]
    await bot.settle()
    assert all(amazon_code(bot) not in m.get("text", "") for m in bot.tg.messages(nina))


async def test_grant_for_one_minute_ends_and_member_and_admins_are_told(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    nina = await nina_joins(bot)
    end = end_shown(bot.clock.now + 60)
    await reply(bot, p.admin, f"/add {nina.id} for 1m")
    await bot.tg.next_message(nina)  # told until when
    assert amazon_code(bot) in await reply(bot, nina, "/code")

    bot.clock.advance(2 * 60)
    told = await told_of_end(bot, nina)
    assert told.result["text"] == f"⌛ Your access to all accounts ended at {end}."
    for admin in (p.owner, p.admin):
        notice = (await told_of_end(bot, admin)).result["text"]
        assert notice == (
            "⌛ Access that ended by itself:\n"
            f"• Nina @nina ({nina.id}): all accounts, ended at {end} — no longer a member\n"
            "They only ever saw codes, never a seed: nothing needs re-keying."
        )
    assert "not a member" in await reply(bot, nina, "/code")
    assert "Nina" not in await reply(bot, p.admin, "/members")
    audit = await reply(bot, p.admin, "/audit 5 admin")
    assert f"— access of @nina to all accounts ended at {end} — no longer a member" in audit
    assert f"added @nina (all accounts) until {end}" in audit


async def test_a_member_is_told_in_their_language(bot: Bot) -> None:
    await setup_team(bot)
    nina = await nina_joins(bot, language_code="zh-hans")
    end = end_shown(bot.clock.now + 8 * HOUR)
    await reply(bot, bot.people.admin, f"/add {nina.id} for 8h")
    told = await bot.tg.next_message(nina)
    assert told["text"].startswith(f"🔑 你已获得访问权限：全部账号（至 {end}，还剩 8 小时）")
    bot.clock.advance(9 * HOUR)
    ended = await told_of_end(bot, nina)
    assert ended.result["text"] == f"⌛ 你对全部账号的访问权限已于 {end} 到期。"


async def test_a_grant_kept_across_a_restart_still_ends_on_time(
    start_bot: Callable[..., Any],
) -> None:
    first: Bot = await start_bot()
    await setup_team(first)
    nina = await nina_joins(first)
    end = end_shown(first.clock.now + HOUR)
    await reply(first, first.people.admin, f"/add {nina.id} for 1h")
    await first.tg.next_message(nina)  # told until when
    await stop(first)

    second: Bot = await start_bot()
    listing = await reply(second, second.people.admin, "/members")
    assert f"Nina @nina — member, {nina.id} — all accounts until {end} (in 1 h)" in listing
    assert amazon_code(second) in await reply(second, nina, "/code")
    second.clock.advance(HOUR + 60)
    told = await told_of_end(second, nina)
    assert told.result["text"] == f"⌛ Your access to all accounts ended at {end}."
    assert "not a member" in await reply(second, nina, "/code")


async def test_a_grant_that_ended_while_the_bot_was_down_ends_at_the_start(
    start_bot: Callable[..., Any],
) -> None:
    first: Bot = await start_bot()
    await setup_team(first)
    nina = await nina_joins(first)
    end = end_shown(first.clock.now + 60)
    await reply(first, first.people.admin, f"/add {nina.id} for 1m")
    await first.tg.next_message(nina)  # told until when
    await stop(first)
    first.clock.advance(HOUR)

    second: Bot = await start_bot()
    told = await told_of_end(second, nina)
    assert told.result["text"] == f"⌛ Your access to all accounts ended at {end}."
    notice = (await told_of_end(second, second.people.admin)).result["text"]
    assert f"Nina @nina ({nina.id}): all accounts, ended at {end}" in notice
    assert "not a member" in await reply(second, nina, "/code")


async def test_adding_again_extends_the_grant(bot: Bot) -> None:
    await setup_team(bot)
    nina = await nina_joins(bot)
    await reply(bot, bot.people.admin, f"/add {nina.id} for 1m")
    end = end_shown(bot.clock.now + HOUR)
    again = await reply(bot, bot.people.admin, f"/add {nina.id} for 1h")
    assert f"with all accounts until {end} (in 1 h)" in again
    assert "That extends the access they had." in again
    await bot.tg.next_message(nina)  # the first end
    assert end in (await bot.tg.next_message(nina))["text"]  # the new one
    bot.clock.advance(30 * 60)
    assert amazon_code(bot) in await reply(bot, nina, "/code")
    assert f"amazon-us</b> until {end}" not in await reply(bot, nina, "/accounts")  # parsed
    assert f"amazon-us until {end} (in 30 min)" in await reply(bot, nina, "/accounts")


async def test_adding_again_for_less_says_it_shortens(bot: Bot) -> None:
    await setup_team(bot)
    nina = await nina_joins(bot)
    await reply(bot, bot.people.admin, f"/add {nina.id}")
    shorter = await reply(bot, bot.people.admin, f"/add {nina.id} for 30m")
    assert "That shortens the access they had: the latest /add counts." in shorter


async def test_adding_without_for_makes_the_grant_permanent(bot: Bot) -> None:
    await setup_team(bot)
    nina = await nina_joins(bot)
    await reply(bot, bot.people.admin, f"/add {nina.id} for 1m")
    await bot.tg.next_message(nina)  # told until when
    permanent = await reply(bot, bot.people.admin, f"/add {nina.id}")
    assert permanent == (
        "✅ Nina is a member, with all accounts.\n♾ Their access no longer ends by itself."
    )
    told = await bot.tg.next_message(nina)
    assert told["text"] == "♾ Your access to all accounts no longer ends by itself."
    bot.clock.advance(24 * HOUR)
    await bot.settle()
    assert amazon_code(bot) in await reply(bot, nina, "/code")
    assert not [c for c in bot.tg.calls("sendMessage") if ended_notice(nina.id)(c)]


@pytest.mark.parametrize("bad", ["for 0m", "for 91d", "for 8x", "for", "for 8h.", "for 8h ebay"])
async def test_a_bad_duration_is_refused_and_nothing_stored(bot: Bot, bad: str) -> None:
    await setup_team(bot)
    nina = await nina_joins(bot)
    refused = await reply(bot, bot.people.admin, f"/add {nina.id} {bad}")
    assert "for 8h" in refused
    assert "from 1 minute to 90 days" in refused
    assert "Nothing was changed." in refused
    assert "Nina" not in await reply(bot, bot.people.admin, "/members")
    assert "not a member" in await reply(bot, nina, "/code")


async def test_a_bad_duration_changes_nothing_of_a_member(bot: Bot) -> None:
    await setup_team(bot)
    nina = await nina_joins(bot)
    await reply(bot, bot.people.admin, f"/add {nina.id}")
    await reply(bot, bot.people.admin, f"/add {nina.id} for 91d")
    listing = await reply(bot, bot.people.admin, "/members")
    assert f"Nina @nina — member, {nina.id} — all accounts\n" in listing + "\n"


async def test_members_and_accounts_show_the_end_per_account(bot: Bot) -> None:
    await setup_team(bot)
    await add_ebay(bot)
    nina = await nina_joins(bot)
    end = end_shown(bot.clock.now + 8 * HOUR)
    await reply(bot, bot.people.admin, f"/add {nina.id} ebay")
    added = await reply(bot, bot.people.admin, f"/add {nina.id} amazon-us for 8h")
    assert f"with amazon-us until {end} (in 8 h), ebay." in added
    told = await bot.tg.next_message(nina)
    assert f"You have access to amazon-us until {end} (in 8 h), ebay." in told["text"]
    listing = await reply(bot, bot.people.admin, "/members")
    assert f"— amazon-us until {end} (in 8 h), ebay" in listing
    accounts = await reply(bot, nina, "/accounts")
    assert accounts == f"Your accounts:\n• amazon-us until {end} (in 8 h)\n• ebay"

    bot.clock.advance(8 * HOUR + 60)
    told = await told_of_end(bot, nina)
    ended = f"⌛ Your access to amazon-us ended at {end}. You still have ebay."
    assert told.result["text"] == ended
    assert await reply(bot, nina, "/accounts") == "Your accounts:\n• ebay"


async def test_a_member_who_never_started_the_bot_is_ended_without_errors(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    await setup_team(bot)
    quiet = bot.tg.user("Quinn", started=False)
    added = await reply(bot, bot.people.admin, f"/add {quiet.id} for 1m")
    assert f"{quiet.id} is a member, with all accounts until" in added
    bot.clock.advance(2 * 60)
    notice = (await told_of_end(bot, bot.people.admin)).result["text"]
    assert f"({quiet.id}): all accounts" in notice
    await bot.settle()
    refused = [c for c in bot.tg.calls("sendMessage") if c.params["chat_id"] == quiet.id]
    assert refused  # tried, when added and when ended
    assert all(not c.ok for c in refused)  # 403: never started the bot
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert not [c for c in bot.tg.calls("sendMessage") if "went wrong" in c.params["text"]]


async def test_a_stale_username_confirmed_keeps_the_duration(bot: Bot) -> None:
    await setup_team(bot)
    nina = bot.tg.user("Nina", username="nina_k")
    await reply(bot, nina, "/start")
    bot.clock.advance(30 * 24 * HOUR)
    admin = bot.people.admin
    await bot.tg.send(admin, bot.tg.private(admin), "/add @nina_k for 3d")
    question = await bot.tg.next_message(admin)
    assert "Usernames change hands" in question["text"]
    end = end_shown(bot.clock.now + 3 * 24 * HOUR)
    await bot.tg.press(admin, question, text="Add this id")
    await bot.tg.wait_for("editMessageText")
    edited = next(
        m
        for m in bot.tg.messages(bot.tg.private(admin))
        if m["message_id"] == question["message_id"]
    )
    assert f"Nina is a member, with all accounts until {end} (in 3 d)." in edited["text"]


async def test_revoking_some_accounts_keeps_the_end_on_the_rest(bot: Bot) -> None:
    await setup_team(bot)
    await add_ebay(bot)
    nina = await nina_joins(bot)
    end = end_shown(bot.clock.now + 3 * HOUR)
    await reply(bot, bot.people.admin, f"/add {nina.id} for 3h")
    narrowed = await reply(bot, bot.people.admin, f"/revoke {nina.id} ebay")
    assert narrowed == f"✂️ Nina now has amazon-us until {end} (in 3 h)."


async def test_help_for_admins_mentions_for_8h(bot: Bot) -> None:
    await setup_team(bot)
    assert "for 8h" in await reply(bot, bot.people.admin, "/help")


async def test_an_end_that_removes_a_former_admin_names_the_seeds_they_saw(bot: Bot) -> None:
    """A grant ending is one more way of losing access: an admin who added an account and
    was then made a member for a while may still hold its seed."""
    await setup_team(bot)  # adam, an admin, added amazon-us
    p = bot.people
    await reply(bot, p.owner, f"/demote {p.admin.id}")
    await reply(bot, p.owner, f"/add {p.admin.id} for 1m")
    bot.clock.advance(2 * 60)
    notice = (await told_of_end(bot, p.owner)).result["text"]
    assert "no longer a member" in notice
    assert "• amazon-us (added it): /secret rotate amazon-us" in notice
