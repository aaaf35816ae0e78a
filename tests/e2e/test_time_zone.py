"""The team's time zone (TEAMOTP_TIMEZONE): /audit, the admins' notices and /members show
their times in it, labelled with its offset from UTC; without it, in UTC as before. The
test's clock is 2026-01-01 00:00:05 UTC, which is 08:00:05 in Shanghai."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.e2e.conftest import Bot, ask, setup_team

SHANGHAI = {"TEAMOTP_TIMEZONE": "Asia/Shanghai"}


async def next_starting(bot: Bot, chat: Any, prefix: str) -> str:
    while True:
        message = await bot.tg.next_message(chat)
        if message.get("text", "").startswith(prefix):
            return str(message["text"])


async def test_audit_shows_the_team_s_local_times_and_names_the_zone(
    start_bot: Callable[..., Any],
) -> None:
    bot: Bot = await start_bot(SHANGHAI)
    await setup_team(bot)
    admin = bot.people.admin
    await bot.tg.send(admin, bot.tg.private(admin), "/audit 3")
    listed = await next_starting(bot, admin, "Last 3 events")
    assert listed.splitlines()[0] == "Last 3 events (UTC+8):"
    assert all(line.startswith("01-01 08:00:0") for line in listed.splitlines()[1:]), listed


async def test_a_code_request_notice_says_when_in_the_team_s_zone(
    start_bot: Callable[..., Any],
) -> None:
    bot: Bot = await start_bot(SHANGHAI)
    group = await setup_team(bot)
    await ask(bot, bot.people.member, "/code", chat=group)
    told = await next_starting(bot, bot.people.admin, "🔔 Code request")
    assert "When: 2026-01-01 08:00:05 UTC+8" in told


async def test_members_shows_when_a_grant_ends_in_the_team_s_zone(
    start_bot: Callable[..., Any],
) -> None:
    bot: Bot = await start_bot(SHANGHAI)
    await setup_team(bot)
    p = bot.people
    await ask(bot, p.stranger, "/start")
    added = await ask(bot, p.admin, f"/add {p.stranger.id} amazon-us for 8h")
    assert "until 2026-01-01 16:01 UTC+8" in added["text"]
    listed = await ask(bot, p.admin, "/members")
    assert "amazon-us until 2026-01-01 16:01 UTC+8" in listed["text"]


async def test_without_a_zone_times_stay_in_utc(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    await bot.tg.send(admin, bot.tg.private(admin), "/audit 3")
    listed = await next_starting(bot, admin, "Last 3 events")
    assert listed.splitlines()[0] == "Last 3 events (UTC):"
    assert listed.splitlines()[1].startswith("01-01 00:00:0")
