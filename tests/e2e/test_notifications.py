"""Admins hear of every code request (rule 7): who, which account, where, the outcome;
in their language, in the background, never to the requester themselves."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pyotp
import pytest

from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, setup_team
from tests.fake_telegram import Call, FakeChat, FakeUser

BELL = "🔔"
WHEN = "2026-01-01 00:00:05 UTC"  # the test clock's start


def is_notice_to(chat_id: int) -> Callable[[Call], bool]:
    return lambda c: c.params["chat_id"] == chat_id and BELL in c.params["text"]


async def notice_to(bot: Bot, chat: FakeUser | FakeChat) -> str:
    """The next notice sent to `chat`, as its reader sees it (markup parsed)."""
    call = await bot.tg.wait_for("sendMessage", where=is_notice_to(chat.id))
    await call.finished()
    assert call.ok, call.summary()
    text: str = call.result["text"]
    return text


def notices_sent(bot: Bot, chat: FakeUser | FakeChat) -> list[str]:
    return [c.params["text"] for c in bot.tg.calls("sendMessage") if is_notice_to(chat.id)(c)]


async def add_account(bot: Bot, name: str, secret: str) -> None:
    admin = bot.people.admin
    await bot.tg.send(admin, bot.tg.private(admin), f"/secret add {name} {secret}")
    await bot.settle()


def who(user: FakeUser) -> str:
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return f"{name} @{user.username} ({user.id})"


# ---------------------------------------------------------------- granted


async def test_admins_and_owner_are_told_of_a_code_given_in_a_group(bot: Bot) -> None:
    group = await setup_team(bot)
    p = bot.people
    reply = await bot.say(p.member, "/code", chat=group)
    for admin in (p.owner, p.admin):
        notice = await notice_to(bot, admin)
        assert "granted" in notice
        assert f"Who: {who(p.member)}" in notice
        assert "Account: amazon-us" in notice
        assert f"Where: group “Team” ({group.id})" in notice
        assert f"When: {WHEN}" in notice
        assert pyotp.TOTP(SECRET).at(bot.clock.now) not in notice  # the code stays in the group
    assert reply["chat"]["id"] == group.id


async def test_notice_of_a_private_request_says_private_chat(bot: Bot) -> None:
    await setup_team(bot)
    await bot.say(bot.people.member, "/code")
    notice = await notice_to(bot, bot.people.admin)
    assert "Where: private chat" in notice
    assert "granted" in notice


async def test_each_admin_is_told_in_their_own_language(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    li = bot.tg.user("李雷", language_code="zh-hans", username="lilei")
    await bot.say(li, "/start")  # the bot learns his language when he writes to it
    await bot.say(p.owner, f"/promote {li.id}")
    await bot.say(p.member, "/code")
    chinese = await notice_to(bot, li)
    assert "验证码请求：✅ 已发送" in chinese
    assert f"请求人：{who(p.member)}".replace(" (", "（").replace(")", "）") in chinese
    assert "账号：amazon-us" in chinese
    assert "来源：私聊" in chinese
    english = await notice_to(bot, p.admin)
    assert "Code request: ✅ granted" in english


# ----------------------------------------------------------------- denied


async def stranger_in_private(bot: Bot, group: FakeChat) -> FakeChat:
    await bot.say(bot.people.stranger, "/code amazon-us")
    return bot.tg.private(bot.people.stranger)


async def stranger_in_group(bot: Bot, group: FakeChat) -> FakeChat:
    await bot.say(bot.people.stranger, "/code", chat=group)
    return group


async def member_in_unapproved_group(bot: Bot, group: FakeChat) -> FakeChat:
    side = bot.tg.group("Side")
    await bot.tg.add_bot_to_group(side, by=bot.people.member)
    await bot.tg.next_message(side)
    await bot.say(bot.people.member, "/code amazon-us", chat=side)
    return side


async def member_asks_for_unknown_account(bot: Bot, group: FakeChat) -> FakeChat:
    await bot.say(bot.people.member, "/code nosuch", chat=group)
    return group


async def stranger_presses_members_button(bot: Bot, group: FakeChat) -> FakeChat:
    await add_account(bot, "ebay-de", OTHER_SECRET)
    picker = await bot.say(bot.people.member, "/code", chat=group)
    await bot.tg.press(bot.people.stranger, picker, text="amazon-us")
    return group


async def member_presses_button_not_granted(bot: Bot, group: FakeChat) -> FakeChat:
    await add_account(bot, "ebay-de", OTHER_SECRET)
    await bot.say(bot.people.admin, f"/revoke {bot.people.member.id} ebay-de")
    await bot.tg.send(bot.people.admin, group, "/code")
    picker = await bot.tg.next_message(group)
    await bot.tg.press(bot.people.member, picker, text="ebay-de")
    return group


Scenario = Callable[[Bot, FakeChat], Awaitable[FakeChat]]


@pytest.mark.parametrize(
    ("scenario", "requester", "account", "reason"),
    [
        (stranger_in_private, "stranger", "amazon-us", "not a member"),
        (stranger_in_group, "stranger", "—", "not a member"),
        (member_in_unapproved_group, "member", "amazon-us", "group not approved"),
        (member_asks_for_unknown_account, "member", "nosuch", "no such account for them"),
        (stranger_presses_members_button, "stranger", "amazon-us", "not a member"),
        (member_presses_button_not_granted, "member", "ebay-de", "account not granted"),
    ],
)
async def test_admins_are_told_of_a_denied_request(
    bot: Bot, scenario: Scenario, requester: str, account: str, reason: str
) -> None:
    group = await setup_team(bot)
    asker: FakeUser = getattr(bot.people, requester)
    where = await scenario(bot, group)
    for admin in (bot.people.owner, bot.people.admin):
        notice = await notice_to(bot, admin)
        assert f"⛔ denied ({reason})" in notice
        assert f"Who: {who(asker)}" in notice
        assert f"Account: {account}" in notice
        place = "private chat" if where.type == "private" else f"group “{where.title}”"
        assert f"Where: {place}" in notice


# ------------------------------------------------------------ who is told


async def test_requester_is_not_told_of_their_own_request(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    await bot.say(p.admin, "/code")
    assert who(p.admin) in await notice_to(bot, p.owner)
    await bot.say(p.owner, "/code")
    assert who(p.owner) in await notice_to(bot, p.admin)
    await bot.say(p.member, "/code")
    assert who(p.member) in await notice_to(bot, p.admin)
    assert who(p.member) in await notice_to(bot, p.owner)
    # by now the earlier notices have long been sent: none went to the requester
    assert [n for n in notices_sent(bot, p.admin) if str(p.admin.id) in n] == []
    assert [n for n in notices_sent(bot, p.owner) if str(p.owner.id) in n] == []
    assert notices_sent(bot, p.member) == []


async def test_notify_off_stops_notices_for_that_admin_only(bot: Bot) -> None:
    group = await setup_team(bot)
    p = bot.people
    assert "off" in (await bot.say(p.admin, "/notify off"))["text"]
    await bot.say(p.member, "/code")
    assert "private chat" in await notice_to(bot, p.owner)
    assert "on" in (await bot.say(p.admin, "/notify on"))["text"]
    await bot.say(p.member, "/code", chat=group)
    assert "Team" in await notice_to(bot, p.owner)
    # the admin's first notice since /notify off is about the request made after /notify on
    assert "Team" in await notice_to(bot, p.admin)
    assert len(notices_sent(bot, p.admin)) == 1


async def test_audit_chat_receives_every_notice(start_bot: Any, tg: Any) -> None:
    audit = tg.group("Audit log")
    bot: Bot = await start_bot({"TEAMOTP_AUDIT_CHAT_ID": str(audit.id)})
    group = await setup_team(bot)
    p = bot.people
    await tg.add_bot_to_group(audit, by=p.admin)
    await tg.next_message(audit)
    for admin in (p.owner, p.admin):
        await bot.say(admin, "/notify off")
    await bot.say(p.admin, "/code")
    assert f"Who: {who(p.admin)}" in await notice_to(bot, audit)
    await bot.say(p.stranger, "/code")
    assert "denied (not a member)" in await notice_to(bot, audit)
    await bot.say(p.member, "/code", chat=group)
    assert "group “Team”" in await notice_to(bot, audit)
    assert notices_sent(bot, p.owner) == notices_sent(bot, p.admin) == []


async def test_audit_chat_that_is_an_admins_private_chat_gets_one_copy(
    start_bot: Any, tg: Any
) -> None:
    admin = tg.user("adam")
    bot: Bot = await start_bot({"TEAMOTP_AUDIT_CHAT_ID": str(admin.id)})
    await setup_team(bot)
    await bot.say(bot.people.member, "/code")
    await notice_to(bot, bot.people.owner)
    await notice_to(bot, admin)
    await bot.say(bot.people.member, "/code")
    await notice_to(bot, bot.people.owner)
    await notice_to(bot, admin)
    assert len(notices_sent(bot, admin)) == 2


# --------------------------------------------------- slow or failing notices


async def test_hanging_notice_does_not_delay_the_reply(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    release = bot.tg.hang("sendMessage", where=lambda params: params["chat_id"] == p.admin.id)
    try:
        first = await bot.say(p.member, "/code")
        stuck = await bot.tg.wait_for("sendMessage", where=is_notice_to(p.admin.id))
        second = await bot.say(p.member, "/code")
        assert stuck.response is None  # both replies went out while it hangs
        code = pyotp.TOTP(SECRET).at(bot.clock.now)
        assert code in first["text"]
        assert code in second["text"]
        assert "granted" in await notice_to(bot, p.owner)
    finally:
        release.set()
    await stuck.finished()
    assert stuck.ok


FAILURES = {
    "never pressed Start": None,
    "blocked the bot": 403,  # a 5xx is retried until it passes (test_faults)
}


@pytest.mark.parametrize("failure", list(FAILURES))
async def test_failing_notice_does_not_break_the_reply(
    bot: Bot, caplog: pytest.LogCaptureFixture, failure: str
) -> None:
    await setup_team(bot)
    p = bot.people
    if failure == "never pressed Start":
        shy = bot.tg.user("Nina", started=False)
        await bot.say(p.owner, f"/promote {shy.id}")
        target = shy.id
    else:
        bot.tg.fail(
            "sendMessage",
            status=403,
            description="Forbidden: bot was blocked by the user",
            where=lambda params: params["chat_id"] == p.admin.id,
        )
        target = p.admin.id
    reply = await bot.say(p.member, "/code")
    assert pyotp.TOTP(SECRET).at(bot.clock.now) in reply["text"]
    failed = await bot.tg.wait_for("sendMessage", where=is_notice_to(target))
    await failed.finished()
    assert not failed.ok
    assert "granted" in await notice_to(bot, p.owner)
    again = await bot.say(p.member, "/code")  # the bot is still serving
    assert "amazon-us" in again["text"]
    logged = [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.chat.notifier" and r.levelno >= logging.WARNING
    ]
    assert any(f"notification to {target} failed" in line for line in logged)
    assert bot.tg.token not in caplog.text
    assert bot.tg.token.split(":", 1)[1] not in caplog.text
