"""Who may do what (PRODUCT.md roles, rule 1): the gate, /start and /help, /claim, /cancel."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pytest

from bot.rules.limits import STRANGER_WINDOW
from tests.e2e.conftest import Bot, ask, bot_messages, setup_team
from tests.fake_telegram import GROUP_ANONYMOUS_BOT_ID, FakeTelegram

ADMIN_COMMANDS = (
    "/add 4242",
    "/revoke 4242",
    "/members",
    "/secret list",
    "/approve",
    "/notify on",
    "/audit",
)
OWNER_COMMANDS = ("/promote 4242", "/demote 4242")
NOT_APPROVED = "Hello! Codes are not shown here until an admin of the team sends /approve."


# ----------------------------------------------------------------- the role matrix


async def test_stranger_is_told_they_are_not_a_member_with_their_id(bot: Bot) -> None:
    await setup_team(bot)
    sam = bot.people.stranger
    for command in ("/code", "/accounts", *ADMIN_COMMANDS, *OWNER_COMMANDS):
        bot.clock.advance(STRANGER_WINDOW)  # a stranger gets only a few replies at a time
        reply = await ask(bot, sam, command)
        assert reply["text"] == (
            f"You are not a member. Your Telegram id is {sam.id}: "
            "send it to an admin of your team to be added."
        ), command
        code_entities = [e for e in reply["entities"] if e["type"] == "code"]
        assert len(code_entities) == 1, "the id is in monospace, easy to copy"


async def test_refused_admin_commands_are_written_to_the_audit_log(bot: Bot) -> None:
    """Rule 8: who tried what, strangers included."""
    group = await setup_team(bot)
    p = bot.people
    await ask(bot, p.stranger, "/add 4242")
    await ask(bot, p.member, "/approve", chat=group)
    await ask(bot, p.admin, "/promote 4242")
    log = (await ask(bot, p.owner, "/audit 3"))["text"]
    assert "@sam used /add — refused: not a member" in log
    assert "@mia used /approve — refused: role too low" in log
    assert "@adam used /promote — refused: role too low" in log


async def test_stranger_code_never_reveals_which_accounts_exist(bot: Bot) -> None:
    await setup_team(bot)
    for command in ("/code", "/code amazon-us", "/code nosuch"):
        reply = await ask(bot, bot.people.stranger, command)
        assert "not a member" in reply["text"]
        assert "amazon" not in reply["text"]
        assert "nosuch" not in reply["text"]


async def test_member_is_refused_admin_and_owner_commands(bot: Bot) -> None:
    await setup_team(bot)
    mia = bot.people.member
    for command in (*ADMIN_COMMANDS, *OWNER_COMMANDS):
        reply = await ask(bot, mia, command)
        expected = "Only owners may do that." if command in OWNER_COMMANDS else None
        assert reply["text"] == (expected or "Only admins may do that."), command


async def test_admin_may_use_admin_commands_but_not_owner_commands(bot: Bot) -> None:
    group = await setup_team(bot)
    adam = bot.people.admin
    expected = {
        "/add 4242": "✅ 4242 is a member, with all accounts.",
        "/revoke 4242": "🚫 4242 is no longer a member. Their next request is refused.",
        "/members": "Members (3):",
        "/secret list": "Accounts (1):",
        "/approve": "That works only in a group.",
        "/notify on": "Notifications of code requests are on.",
        "/audit": "Last ",
    }
    for command in ADMIN_COMMANDS:
        reply = await ask(bot, adam, command)
        assert reply["text"].startswith(expected[command]), command
    assert (await ask(bot, adam, "/approve", chat=group))["text"] == (
        "This group is already approved."
    )
    for command in OWNER_COMMANDS:
        assert (await ask(bot, adam, command))["text"] == "Only owners may do that.", command


async def test_owner_may_use_owner_commands(bot: Bot) -> None:
    await setup_team(bot)
    olga = bot.people.owner
    assert (await ask(bot, olga, "/members"))["text"].startswith("Members (3):")
    promoted = await ask(bot, olga, "/promote 4242")
    assert promoted["text"] == "⭐ 4242 is now an admin."
    demoted = await ask(bot, olga, "/demote 4242")
    assert demoted["text"].startswith("4242 is a member again (no longer an admin).\n")


async def test_role_is_read_on_every_update(bot: Bot) -> None:
    """Rule 1: a role change applies to the very next message, no restart or cache."""
    await setup_team(bot)
    p = bot.people
    assert (await ask(bot, p.member, "/members"))["text"] == "Only admins may do that."
    await ask(bot, p.owner, f"/promote {p.member.id}")
    assert (await ask(bot, p.member, "/members"))["text"].startswith("Members (3):")
    await ask(bot, p.owner, f"/revoke {p.member.id}")
    assert "not a member" in (await ask(bot, p.member, "/members"))["text"]


async def test_anonymous_group_admin_is_told_the_bot_cannot_tell_who_they_are(bot: Bot) -> None:
    group = await setup_team(bot)
    for command in ("/add 4242", "/code", "/approve"):
        await bot.tg.send(None, group, command, sender_chat=group)
        reply = await bot.tg.next_message(group)
        assert "anonymous admin" in reply["text"], command
        assert "can't tell who you are" in reply["text"]
    sent = bot.tg.messages(group)[-2]
    assert sent["from"]["id"] == GROUP_ANONYMOUS_BOT_ID  # the fake posted as Telegram does
    assert "4242" not in (await ask(bot, bot.people.owner, "/members"))["text"]


async def test_commands_addressed_to_another_bot_are_ignored(bot: Bot) -> None:
    await setup_team(bot)
    # An admin bot receives every group message (no privacy mode), so the bot sees it.
    group = bot.tg.group("Busy", bot_is_admin=True)
    await bot.tg.add_bot_to_group(group, by=bot.people.admin)
    await bot.tg.next_message(group)  # approved
    mia = bot.people.member
    await bot.tg.send(mia, group, "/code@otherbot")
    await bot.tg.send(mia, bot.tg.private(mia), "/start@otherbot")
    await bot.settle()
    assert [m for m in bot.tg.messages(group) if m["from"]["id"] == bot.tg.bot.id][-1][
        "text"
    ].startswith("✅ This group is approved")
    assert all(m["from"]["id"] != bot.tg.bot.id for m in bot.tg.messages(mia))

    # Addressed to this bot by name, it answers.
    reply = await ask(bot, mia, "/code@teamotp_test_bot", chat=group)
    assert "amazon-us" in reply["text"]


UNKNOWN = "I don't know that command. Send /help to see what you can do."


async def test_an_unknown_command_in_private_is_answered_with_a_pointer_to_help(
    bot: Bot,
) -> None:
    await setup_team(bot)
    p = bot.people
    for who in (p.owner, p.member, p.stranger):
        for command in ("/foo", "/Foo bar", f"/foo@{bot.tg.bot.username}"):
            reply = await ask(bot, who, command)
            assert reply["text"] == UNKNOWN, (who.first_name, command)
    zh = bot.tg.user("lin", language_code="zh-hans")
    assert (await ask(bot, zh, "/foo"))["text"] == "没有这个命令。发送 /help 查看你可以使用的命令。"


async def test_an_unknown_command_in_a_group_is_answered_only_when_it_names_this_bot(
    bot: Bot,
) -> None:
    group = await setup_team(bot)
    mia = bot.people.member
    before = len(bot_messages(bot, group))
    for command in ("/foo", "/weather London", "/foo@otherbot"):  # other bots' commands
        await bot.tg.send(mia, group, command)
    await bot.settle()
    assert len(bot_messages(bot, group)) == before
    reply = await ask(bot, mia, f"/foo@{bot.tg.bot.username}", chat=group)
    assert reply["text"] == UNKNOWN
    assert reply["reply_to_message"]["from"]["id"] == mia.id


# ----------------------------------------------------------------------- /start /help


async def test_start_tells_a_stranger_their_id_and_how_to_get_added(bot: Bot) -> None:
    sam = bot.people.stranger
    for command in ("/start", "/help"):
        reply = await ask(bot, sam, command)
        assert f"Your Telegram id: {sam.id}" in reply["text"]
        assert "You are not a member yet" in reply["text"]
        assert "Send your id above to an admin" in reply["text"]
        assert "/add" not in reply["text"]
        assert "/claim" not in reply["text"]  # an owner is configured


async def test_help_is_role_aware(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    member = (await ask(bot, p.member, "/help"))["text"]
    assert "You are a member" in member
    assert "/code" in member
    assert "/add" not in member
    assert "/promote" not in member

    admin = (await ask(bot, p.admin, "/start"))["text"]
    assert f"Your Telegram id: {p.admin.id}" in admin
    assert "You are an admin" in admin
    for command in ("/add", "/revoke", "/members", "/secret add", "/approve", "/audit"):
        assert command in admin, command
    assert "/promote" not in admin

    owner = (await ask(bot, p.owner, "/help"))["text"]
    assert "You are an owner" in owner
    assert "/add" in owner
    assert "/promote, /demote" in owner


ADDING_AND_LEAVING = ("/secret import LINK", "A photo of the site's QR code", "/cancel")


async def test_owner_help_names_import_export_cancel_and_the_qr_photo(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    owner = (await ask(bot, p.owner, "/start"))["text"]
    for part in (*ADDING_AND_LEAVING, "/secret export NAME"):
        assert part in owner, part
    admin = (await ask(bot, p.admin, "/start"))["text"]
    for part in ADDING_AND_LEAVING:
        assert part in admin, part
    assert "/secret export" not in admin  # owners only
    p.owner.language_code = "zh-hans"  # her Telegram app is set to Chinese now
    chinese = (await ask(bot, p.owner, "/start"))["text"]
    for part in ("/secret import 链接", "二维码的图片", "/secret export 账号名称", "/cancel"):
        assert part in chinese, part


async def test_start_works_in_a_group_for_anyone(bot: Bot) -> None:
    group = await setup_team(bot)
    reply = await ask(bot, bot.people.stranger, "/start", chat=group)
    assert f"Your Telegram id: {bot.people.stranger.id}" in reply["text"]
    assert reply["reply_to_message"]["from"]["id"] == bot.people.stranger.id


# --------------------------------------------------------------------------- /claim


def claim_code(caplog: pytest.LogCaptureFixture) -> str:
    for record in caplog.records:
        found = re.search(r"/claim (\S+)", record.getMessage())
        if found:
            return found.group(1)
    raise AssertionError("no claim code was logged")


async def test_start_without_an_owner_points_to_the_claim_code(
    start_bot: Callable[..., Any],
) -> None:
    bot: Bot = await start_bot(owners=False)
    hint = await ask(bot, bot.people.stranger, "/start")
    assert "This bot has no owner yet" in hint["text"]
    assert "send /claim CODE here" in hint["text"]
    # A group with no owner is never approved: after saying so once, the bot stays quiet
    # there (the hint would point to a command that works only in private anyway).
    group = bot.tg.group("Lobby")
    await bot.tg.add_bot_to_group(group, by=bot.people.stranger)
    await bot.tg.next_message(group)
    await bot.tg.send(bot.people.stranger, group, "/start")
    await bot.settle()
    assert [m["text"] for m in bot_messages(bot, group)] == [NOT_APPROVED]


async def test_claim_makes_the_first_user_with_the_logged_code_owner(
    start_bot: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    bot: Bot = await start_bot(owners=False)
    code = claim_code(caplog)
    sam, mia = bot.people.stranger, bot.people.member

    assert (await ask(bot, sam, "/claim"))["text"].startswith("Usage: /claim CODE")
    wrong = await ask(bot, sam, "/claim WRONGWRONG22")
    assert wrong["text"] == "That claim code is wrong."
    assert "not a member" in (await ask(bot, sam, "/members"))["text"]

    done = await ask(bot, sam, f"/claim {code.lower()}")  # typed on a phone: case ignored
    assert done["text"] == "👑 You are now the owner of this bot."
    assert "You are an owner" in (await ask(bot, sam, "/start"))["text"]
    assert "Members (1)" in (await ask(bot, sam, "/members"))["text"]
    assert "⭐" in (await ask(bot, sam, f"/promote {mia.id}"))["text"]

    again = await ask(bot, mia, f"/claim {code}")
    assert again["text"] == "This bot already has an owner."
    assert "You are an admin" in (await ask(bot, mia, "/start"))["text"]
    assert "no owner" not in (await ask(bot, bot.people.admin, "/start"))["text"]


async def test_claim_works_only_in_private(start_bot: Callable[..., Any]) -> None:
    bot: Bot = await start_bot(owners=False)
    group = bot.tg.group("Lobby")
    await bot.tg.add_bot_to_group(group, by=bot.people.stranger)
    await bot.tg.next_message(group)
    await bot.tg.send(bot.people.stranger, group, "/claim ABCDEFGHJKMN")
    assert "You are not a member" in (await ask(bot, bot.people.stranger, "/start"))["text"]
    assert [m["text"] for m in bot_messages(bot, group)] == [NOT_APPROVED]  # no owner: quiet


async def test_no_claim_code_when_an_owner_is_configured(
    start_bot: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    bot: Bot = await start_bot()
    assert not any("/claim" in r.getMessage() for r in caplog.records)
    refused = await ask(bot, bot.people.stranger, "/claim ABCDEFGHJKMN")
    assert refused["text"] == "This bot already has an owner."


# --------------------------------------------------------------------------- /cancel


async def test_cancel_with_nothing_to_cancel(bot: Bot) -> None:
    assert (await ask(bot, bot.people.stranger, "/cancel"))["text"] == "Nothing to cancel."


async def test_cancel_leaves_the_wait_for_a_secret(bot: Bot, tg: FakeTelegram) -> None:
    await setup_team(bot)
    adam = bot.people.admin
    assert "Send the secret for" in (await ask(bot, adam, "/secret add ebay"))["text"]
    assert (await ask(bot, adam, "/cancel"))["text"] == "Cancelled."
    assert (await ask(bot, adam, "/cancel"))["text"] == "Nothing to cancel."
    listed = await ask(bot, adam, "/secret list")
    assert "ebay" not in listed["text"]


async def test_secret_posted_by_an_anonymous_admin_is_still_deleted(bot: Bot) -> None:
    """Rule 4 holds for posts "as the group" too, though nobody can be authorized."""
    await setup_team(bot)
    group = bot.tg.group("Open", bot_is_admin=True)
    await bot.tg.add_bot_to_group(group, by=bot.people.admin)
    await bot.tg.next_message(group)  # approved
    posted = await bot.tg.send(
        None, group, "otpauth://totp/shop?secret=KRSXG5CTMVRXEZLU", sender_chat=group
    )
    warning = await bot.tg.next_message(group)
    assert "Never post a secret in a group" in warning["text"]
    assert bot.tg.is_deleted(group, posted["message_id"])
