"""The bot proves its own integrity, seen through Telegram: a stored secret changed behind
its back is named to the owners at start, the audit chain's head is posted to the audit
chat each day, `/status` says how the bot is, and a server clock that is off Telegram's
is told to the owners."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pyotp
import pytest

from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, setup_team
from tests.e2e.test_codes import stop
from tests.fake_telegram import FakeChat
from tests.store_files import change_account


async def next_starting(bot: Bot, chat: Any, prefix: str) -> dict[str, Any]:
    """The next message the bot sends to `chat` that starts with `prefix` (others skipped)."""
    while True:
        message = await bot.tg.next_message(chat)
        if message.get("text", "").startswith(prefix):
            return message


def said_to(bot: Bot, chat: Any, prefix: str) -> list[str]:
    return [
        m["text"]
        for m in bot.tg.messages(chat)
        if m["from"]["id"] == bot.tg.bot.id and m.get("text", "").startswith(prefix)
    ]


# ------------------------------------------------------- stored secrets at start


@pytest.mark.sqlite_file
async def test_owners_are_told_at_start_which_stored_secret_gives_no_code(
    start_bot: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    first: Bot = await start_bot()
    await setup_team(first)
    owner = first.people.owner
    await first.tg.send(owner, first.tg.private(owner), f"/secret add shop {OTHER_SECRET}")
    await first.tg.next_message(owner)  # "added"
    await first.tg.next_message(owner)  # the code
    await stop(first)
    change_account(first.data_dir, "amazon-us", "period", 60)

    second: Bot = await start_bot()
    warning = await next_starting(second, owner, "⚠️")
    assert "amazon-us" in warning["text"]
    assert "shop" not in warning["text"]
    assert SECRET not in warning["text"]
    assert "amazon-us" in caplog.text
    # the rest keeps working
    answer = await second.say(owner, "/code shop")
    assert pyotp.TOTP(OTHER_SECRET).at(second.clock.now) in answer["text"]
    admin = second.people.admin
    assert said_to(second, second.tg.private(admin), "⚠️ At start") == []  # owners only


async def test_owners_hear_nothing_at_start_when_every_secret_opens(
    start_bot: Callable[..., Any],
) -> None:
    first: Bot = await start_bot()
    await setup_team(first)
    await stop(first)
    second: Bot = await start_bot()
    owner = second.people.owner
    await second.say(owner, "/help")  # handled after the start-up check
    assert said_to(second, owner, "⚠️") == []


# ------------------------------------------------------------ the chain's head


def newest_audit_row(bot: Bot) -> tuple[int, str]:
    [row] = bot.tamper("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")
    return int(row[0]), str(row[1])


async def test_the_chains_head_is_posted_to_the_audit_chat_once_a_day(
    start_bot: Callable[..., Any], tg: Any
) -> None:
    audit: FakeChat = tg.group("Audit log")
    bot: Bot = await start_bot({"TEAMOTP_AUDIT_CHAT_ID": str(audit.id)})
    await setup_team(bot)
    await tg.add_bot_to_group(audit, by=bot.people.admin)
    await bot.settle()
    bot.clock.advance(301)  # every row so far can no longer change
    head_id, head_hash = newest_audit_row(bot)
    posted = await next_starting(bot, audit, "🔗")
    assert f"event #{head_id}" in posted["text"]
    assert head_hash in posted["text"]

    await bot.say(bot.people.owner, "/audit 1")  # a new row; no new post before the day is over
    bot.clock.advance(3600)
    await bot.say(bot.people.owner, "/help")
    await bot.settle()
    assert len(said_to(bot, audit, "🔗")) == 1
    bot.clock.advance(24 * 3600)
    posted = await next_starting(bot, audit, "🔗")
    assert f"event #{newest_audit_row(bot)[0]}" in posted["text"]


# -------------------------------------------------------------------- /status


async def test_status_tells_an_admin_how_the_bot_is(bot: Bot) -> None:
    await setup_team(bot)
    status = await bot.say(bot.people.admin, "/status")
    body = status["text"]
    assert body.startswith("teamotp ")
    assert f"Database: {'sqlite' if bot.on_sqlite else 'postgresql'}" in body
    assert "Accounts: 1 · members: 3 · approved groups: 1" in body
    assert "Clock: 0 s off Telegram (fine)" in body
    assert "Last error: none" in body
    assert re.search(r"Audit chain intact: \d+ events, head #\d+ [0-9a-f]{64}", body)


async def test_status_shows_the_kind_and_time_of_the_last_error(bot: Bot) -> None:
    owner = bot.people.owner
    bot.tamper("ALTER TABLE accounts RENAME TO accounts_gone")
    answer = await bot.say(owner, "/accounts")
    assert "Something went wrong on my side" in answer["text"]
    alert = await bot.tg.next_message(bot.tg.private(owner))  # owners hear of it too
    kind = "OperationalError" if bot.on_sqlite else "ProgrammingError"  # the table is gone
    assert f"{kind} at 2026-01-01 00:00:05 UTC" in alert["text"]
    bot.tamper("ALTER TABLE accounts_gone RENAME TO accounts")
    bot.clock.advance(60)
    status = await bot.say(owner, "/status")
    assert f"Last error: {kind} at 2026-01-01 00:00:05 UTC" in status["text"]
    assert "Up for: 0:01:00" in status["text"]


async def test_status_names_the_first_broken_link_of_the_audit_chain(bot: Bot) -> None:
    await setup_team(bot)
    bot.tamper("UPDATE audit_events SET actor_id = 1 WHERE id = 2")
    status = await bot.say(bot.people.owner, "/status")
    assert "Audit chain BROKEN at event #2: it was changed" in status["text"]


async def test_status_is_for_admins_in_private(bot: Bot) -> None:
    group = await setup_team(bot)
    refused = await bot.say(bot.people.member, "/status")
    assert "Database" not in refused["text"]
    await bot.tg.send(bot.people.admin, group, "/status")
    await bot.settle()
    assert all("Database" not in text for text in said_to(bot, group, ""))


# ------------------------------------------------------------------ the clock


async def test_a_server_clock_off_telegrams_is_told_to_owners_once_and_shown_in_status(
    bot: Bot,
) -> None:
    await setup_team(bot)
    owner, admin = bot.people.owner, bot.people.admin
    bot.tg.world.clock = lambda: bot.clock.now - 60  # the server runs a minute fast
    for _ in range(20):
        await bot.say(admin, "/help")
    warning = await next_starting(bot, owner, "⚠️")
    assert "about 60 s off" in warning["text"]
    for _ in range(20):
        await bot.say(admin, "/help")
    await bot.settle()
    assert len(said_to(bot, owner, "⚠️ The server's clock")) == 1  # at most daily
    assert said_to(bot, admin, "⚠️ The server's clock") == []  # owners are told
    status = await bot.say(admin, "/status")
    assert "Clock: ⚠️ 60 s off Telegram" in status["text"]


async def test_a_few_late_updates_do_not_make_the_clock_look_off(bot: Bot) -> None:
    """Updates queued while the bot was down arrive with old dates: a median, not a mean."""
    await setup_team(bot)
    admin = bot.people.admin
    bot.tg.world.clock = lambda: bot.clock.now - 3600
    for _ in range(5):
        await bot.say(admin, "/help")
    bot.tg.world.clock = bot.clock
    for _ in range(15):
        await bot.say(admin, "/help")
    status = await bot.say(admin, "/status")
    assert "(fine)" in status["text"]
    assert said_to(bot, bot.people.owner, "⚠️") == []
