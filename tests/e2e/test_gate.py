"""The gate sees exactly what is dispatched (issue 7).

Telegram ends a `bot_command` entity at the first character that cannot be part of a
command, and python-telegram-bot runs a command from that entity: `/members.` is
`/members` to the handlers, so it must be `/members` to the gate too. Every command
of the menu is sent bare and with `.`, `,`, `:` and `!` after it, by each kind of
sender and in each kind of chat, and must be answered the same way. Edited messages
are read for secrets like new ones, and run nothing.
"""

from __future__ import annotations

import re
from typing import Any

from bot.chat.commands import COMMANDS, Where
from bot.rules.model import Role
from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, ask, setup_team
from tests.fake_telegram import FakeChat, FakeUser

MENU = [command for command in COMMANDS if command.in_menu]
MARKS = (".", ",", ":", "!")
# Between two sends the clock moves a whole number of code windows past any per-person
# limit: what is compared is how the gate reads a command, not how often one may ask.
PAUSE = 21 * 30


def shape(reply: dict[str, Any]) -> str:
    """What a reply says, with numbers (codes, ids, seconds) left out, and its buttons."""
    rows = reply.get("reply_markup", {}).get("inline_keyboard", [])
    labels = [button["text"] for row in rows for button in row]
    return re.sub(r"\d+", "#", f"{reply.get('text', '')} {labels}")


async def answers(
    bot: Bot, user: FakeUser | None, command: str, *, chat: Any = None, **kwargs: Any
) -> list[str]:
    """What the bot answers to `/command`, then to it followed by each mark."""
    shapes = []
    for form in (f"/{command}", *(f"/{command}{mark}" for mark in MARKS)):
        bot.clock.advance(PAUSE)
        shapes.append(shape(await ask(bot, user, form, chat=chat, **kwargs)))
    return shapes


def refusal(command_role: Role | None) -> str | None:
    if command_role is Role.OWNER:
        return "Only owners may do that."
    if command_role is Role.ADMIN:
        return "Only admins may do that."
    return None


async def approved_group(bot: Bot, title: str) -> FakeChat:
    """A group the admin added the bot to (so codes may be shown there)."""
    group = bot.tg.group(title)
    await bot.tg.add_bot_to_group(group, by=bot.people.admin)
    await bot.tg.next_message(group)  # "approved"
    return group


async def test_stranger_gets_the_same_answer_to_every_command_with_punctuation(bot: Bot) -> None:
    await setup_team(bot)
    for command in MENU:
        # One stranger per command: the answer to one never depends on the ones before.
        stranger = bot.tg.user(f"stranger_{command.name}")
        shapes = await answers(bot, stranger, command.name)
        assert shapes == [shapes[0]] * len(shapes), (command.name, shapes)
        if command.role is not None or command.name in {"code", "accounts"}:
            assert shapes[0].startswith("You are not a member."), (command.name, shapes[0])


async def test_member_is_refused_admin_commands_with_punctuation_as_without(bot: Bot) -> None:
    await setup_team(bot)
    for command in MENU:
        shapes = await answers(bot, bot.people.member, command.name)
        assert shapes == [shapes[0]] * len(shapes), (command.name, shapes)
        expected = refusal(command.role)
        if expected is not None:
            assert shapes[0] == f"{expected} []", command.name


async def test_in_a_group_every_command_with_punctuation_is_gated_as_without(bot: Bot) -> None:
    """A member, an anonymous admin and an admin (for private-only commands) in a group.

    One group per command: Telegram lets a bot send only 20 messages a minute to a group."""
    await setup_team(bot)
    p = bot.people
    for command in MENU:
        group = await approved_group(bot, f"Team {command.name}")
        shapes = await answers(bot, p.member, command.name, chat=group)
        assert shapes == [shapes[0]] * len(shapes), (command.name, shapes)
        expected = refusal(command.role)
        if expected is not None:
            assert shapes[0] == f"{expected} []", command.name
        anonymous = await answers(bot, None, command.name, chat=group, sender_chat=group)
        assert all(s.startswith("You are posting as the group") for s in anonymous), anonymous
        if command.where is Where.PRIVATE:
            shapes = await answers(bot, p.admin, command.name, chat=group)
            assert shapes == ["That works only in a private chat with me. []"] * len(shapes)


async def test_group_only_commands_with_punctuation_are_refused_in_private(bot: Bot) -> None:
    await setup_team(bot)
    for command in (c for c in MENU if c.where is Where.GROUP):
        shapes = await answers(bot, bot.people.admin, command.name)
        assert shapes == ["That works only in a group. []"] * len(shapes), command.name


async def test_secret_add_with_punctuation_in_a_group_is_deleted_and_adds_nothing(
    bot: Bot,
) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    group = bot.tg.group("Sellers", bot_is_admin=True)
    await bot.tg.add_bot_to_group(group, by=admin)
    await bot.tg.next_message(group)  # "approved"
    for mark in MARKS:
        sent = await bot.tg.send(admin, group, f"/secret{mark} add shop{ord(mark)} {SECRET}")
        warning = await bot.tg.next_message(group)
        assert bot.tg.is_deleted(group, sent["message_id"]), mark
        assert "Never post a secret in a group" in warning["text"], mark
        assert "deleted the message" in warning["text"], mark
    listed = (await ask(bot, admin, "/secret list"))["text"]
    assert "shop" not in listed
    assert "Accounts (1)" in listed


async def test_secret_glued_to_the_command_is_deleted_though_its_args_start_at_the_name(
    bot: Bot,
) -> None:
    """`/secret:add NAME SEED` runs `/secret` with the args `NAME SEED`: no add, but the
    message carries a secret all the same."""
    await setup_team(bot)
    admin = bot.people.admin
    chat = bot.tg.private(admin)
    sent = await bot.tg.send(admin, chat, f"/secret:add shop {SECRET.lower()}")
    answer = await bot.tg.next_message(chat)
    assert bot.tg.is_deleted(chat, sent["message_id"])
    assert "/secret add NAME SECRET" in answer["text"]  # the usage
    # A mistyped secret (a 1 is no base32) is still most of one: deleted all the same.
    sent = await bot.tg.send(admin, chat, f"/secret:add shop {SECRET[:-1]}1")
    await bot.tg.next_message(chat)
    assert bot.tg.is_deleted(chat, sent["message_id"])
    assert "shop" not in (await ask(bot, admin, "/secret list"))["text"]


async def test_command_addressed_to_this_bot_with_punctuation_is_gated(bot: Bot) -> None:
    """`/members@this_bot.` reaches the bot (privacy mode lets a command for it through)
    and is `/members` to the handlers: private only, whoever asks."""
    group = await setup_team(bot)
    name = bot.tg.world.bot.username
    for text in (f"/members@{name}.", f"/audit@{name}! 5"):
        answer = await ask(bot, bot.people.admin, text, chat=group)
        assert answer["text"] == "That works only in a private chat with me.", text


# ------------------------------------------------------------------ edited messages


async def test_secret_edited_into_a_group_message_is_deleted_and_adds_nothing(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    group = bot.tg.group("Sellers", bot_is_admin=True)
    await bot.tg.add_bot_to_group(group, by=admin)
    await bot.tg.next_message(group)  # "approved"
    sent = await bot.tg.send(admin, group, "/secret add shop")
    assert "only in a private chat" in (await bot.tg.next_message(group))["text"]
    await bot.tg.edit(admin, sent, f"/secret add shop {SECRET}")
    warning = await bot.tg.next_message(group)
    assert bot.tg.is_deleted(group, sent["message_id"])
    assert "Never post a secret in a group" in warning["text"]
    assert "shop" not in (await ask(bot, admin, "/secret list"))["text"]


async def test_an_edited_message_runs_no_command(bot: Bot) -> None:
    group = await setup_team(bot)
    member = bot.people.member
    sent = await bot.tg.send(member, group, "/start")
    await bot.tg.next_message(group)
    await bot.tg.edit(member, sent, "/code")
    answer = await ask(bot, member, "/help", chat=group)  # answered in order, after the edit
    assert "/code" in answer["text"]
    assert "valid for" not in answer["text"]


async def test_an_edit_is_not_taken_as_the_secret_the_bot_waits_for(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    chat = bot.tg.private(admin)
    old = await bot.tg.send(admin, chat, "hello")
    await ask(bot, admin, "/secret add shop")
    await bot.tg.edit(admin, old, "hello there")
    sent = await bot.tg.send(admin, chat, OTHER_SECRET.lower())
    added = await bot.tg.next_message(chat)
    assert "Added shop" in added["text"]
    assert bot.tg.is_deleted(chat, sent["message_id"])
    assert not bot.tg.is_deleted(chat, old["message_id"])


async def test_secret_edited_into_a_private_message_is_deleted_with_a_hint(bot: Bot) -> None:
    owner = bot.people.owner
    chat = bot.tg.private(owner)
    sent = await bot.tg.send(owner, chat, "the key for amazon is")
    await bot.tg.edit(owner, sent, f"the key for amazon is {SECRET}")
    hint = await bot.tg.next_message(chat)
    assert bot.tg.is_deleted(chat, sent["message_id"])
    assert "/secret add NAME SECRET" in hint["text"]
