"""Groups (rule 2): approval by adding the bot or /approve, removal, migration, forum topics."""

from __future__ import annotations

from typing import Any

import pyotp

from tests.e2e.conftest import SECRET, Bot, ask, setup_team
from tests.fake_telegram import FakeChat, FakeUser

APPROVED = "✅ This group is approved: members can get codes here with /code."
NOT_APPROVED = "Hello! Codes are not shown here until an admin of the team sends /approve."
REFUSED = "Codes are not shown in this group."


def code_now(bot: Bot) -> str:
    return pyotp.TOTP(SECRET).at(bot.clock.now)


async def added_by(bot: Bot, user: FakeUser, title: str, **kwargs: Any) -> tuple[FakeChat, str]:
    group = bot.tg.group(title, **kwargs)
    await bot.tg.add_bot_to_group(group, by=user)
    return group, (await bot.tg.next_message(group))["text"]


async def test_group_is_approved_when_an_admin_or_owner_adds_the_bot(bot: Bot) -> None:
    await setup_team(bot, approve_group=False)
    for adder in (bot.people.admin, bot.people.owner):
        group, announcement = await added_by(bot, adder, f"By {adder.first_name}")
        assert announcement == APPROVED
        assert code_now(bot) in (await ask(bot, bot.people.member, "/code", chat=group))["text"]


async def test_group_is_not_approved_when_a_member_or_stranger_adds_the_bot(bot: Bot) -> None:
    await setup_team(bot, approve_group=False)
    for adder in (bot.people.member, bot.people.stranger):
        group, announcement = await added_by(bot, adder, f"By {adder.first_name}")
        assert announcement == NOT_APPROVED
        refused = await ask(bot, bot.people.member, "/code", chat=group)
        assert refused["text"].startswith(REFUSED)
        assert "/approve" in refused["text"]
        assert code_now(bot) not in refused["text"]


async def test_admin_approves_and_unapproves_a_group(bot: Bot) -> None:
    await setup_team(bot, approve_group=False)
    p = bot.people
    group, _ = await added_by(bot, p.member, "Shop")
    assert (await ask(bot, p.member, "/approve", chat=group))["text"] == "Only admins may do that."
    assert (await ask(bot, p.admin, "/approve", chat=group))["text"] == APPROVED
    assert code_now(bot) in (await ask(bot, p.member, "/code", chat=group))["text"]

    assert (await ask(bot, p.member, "/unapprove", chat=group))["text"] == (
        "Only admins may do that."
    )
    unapproved = await ask(bot, p.admin, "/unapprove", chat=group)
    assert unapproved["text"] == "🚫 Codes are no longer shown in this group."
    assert (await ask(bot, p.member, "/code", chat=group))["text"].startswith(REFUSED)
    again = await ask(bot, p.admin, "/unapprove", chat=group)
    assert again["text"] == "This group was not approved."


async def test_approve_twice_says_it_is_already_approved(bot: Bot) -> None:
    group = await setup_team(bot)
    reply = await ask(bot, bot.people.owner, "/approve", chat=group)
    assert reply["text"] == "This group is already approved."


async def test_approve_in_a_private_chat_is_refused(bot: Bot) -> None:
    await setup_team(bot)
    for command in ("/approve", "/unapprove"):
        reply = await ask(bot, bot.people.admin, command)
        assert reply["text"] == "That works only in a group.", command


async def test_removing_the_bot_drops_the_groups_approval(bot: Bot) -> None:
    group = await setup_team(bot)
    p = bot.people
    await bot.tg.remove_bot_from_group(group, by=p.admin)
    await bot.settle()
    # Someone adds it back: the group starts unapproved again.
    await bot.tg.add_bot_to_group(group, by=p.stranger)
    assert (await bot.tg.next_message(group))["text"] == NOT_APPROVED
    assert (await ask(bot, p.member, "/code", chat=group))["text"].startswith(REFUSED)


async def test_removing_the_bot_as_anonymous_admin_drops_the_approval(bot: Bot) -> None:
    group = await setup_team(bot)
    await bot.tg.remove_bot_from_group(group, by=bot.tg.world.anonymous_admin, kicked=True)
    await bot.settle()
    await bot.tg.add_bot_to_group(group, by=bot.people.stranger)
    assert (await bot.tg.next_message(group))["text"] == NOT_APPROVED
    assert (await ask(bot, bot.people.member, "/code", chat=group))["text"].startswith(REFUSED)


async def test_upgraded_supergroup_keeps_the_approval(bot: Bot) -> None:
    group = await setup_team(bot)
    supergroup = await bot.tg.migrate_to_supergroup(group, by=bot.people.admin)
    assert supergroup.id != group.id
    assert str(supergroup.id).startswith("-100")
    reply = await ask(bot, bot.people.member, "/code", chat=supergroup)
    assert code_now(bot) in reply["text"]


async def test_supergroup_upgraded_by_an_anonymous_admin_keeps_the_approval(bot: Bot) -> None:
    group = await setup_team(bot)
    anonymous = bot.tg.world.anonymous_admin
    supergroup = await bot.tg.migrate_to_supergroup(group, by=anonymous)
    reply = await ask(bot, bot.people.member, "/code", chat=supergroup)
    assert code_now(bot) in reply["text"]


async def test_upgraded_unapproved_group_stays_unapproved(bot: Bot) -> None:
    await setup_team(bot, approve_group=False)
    group, _ = await added_by(bot, bot.people.stranger, "Lobby")
    supergroup = await bot.tg.migrate_to_supergroup(group)
    reply = await ask(bot, bot.people.member, "/code", chat=supergroup)
    assert reply["text"].startswith(REFUSED)


async def test_code_in_a_forum_topic_is_answered_in_that_topic(bot: Bot) -> None:
    await setup_team(bot, approve_group=False)
    p = bot.people
    forum, announcement = await added_by(bot, p.admin, "Ops", forum=True)
    assert announcement == APPROVED
    topic = bot.tg.create_topic(forum, "Codes", by=p.admin)

    reply = await ask(bot, p.member, "/code", chat=forum, message_thread_id=topic)
    assert code_now(bot) in reply["text"]
    assert reply["message_thread_id"] == topic
    refused = await ask(bot, p.stranger, "/code", chat=forum, message_thread_id=topic)
    assert "not a member" in refused["text"]
    assert refused["message_thread_id"] == topic
    sent = [c for c in bot.tg.calls("sendMessage") if c.params["chat_id"] == forum.id]
    assert [c.params.get("message_thread_id") for c in sent] == [None, topic, topic]


async def test_add_inside_a_forum_topic_is_not_taken_as_a_reply_to_the_topic(bot: Bot) -> None:
    """In a topic, Telegram makes every message a reply to the topic's first message."""
    await setup_team(bot, approve_group=False)
    p = bot.people
    forum, _ = await added_by(bot, p.admin, "Ops", forum=True)
    topic = bot.tg.create_topic(forum, "Team", by=p.admin)
    root = {"message_id": topic}
    added = await ask(
        bot, p.admin, f"/add {p.stranger.id}", chat=forum, message_thread_id=topic, reply_to=root
    )
    assert "is a member, with all accounts" in added["text"]
    assert "already an admin" not in added["text"]
    assert added["message_thread_id"] == topic
    assert code_now(bot) in (await ask(bot, p.stranger, "/code"))["text"]


async def test_no_thread_id_is_sent_to_an_ordinary_group(bot: Bot) -> None:
    group = await setup_team(bot)
    await ask(bot, bot.people.member, "/code", chat=group)
    await ask(bot, bot.people.stranger, "/code", chat=group)
    sent = [c for c in bot.tg.calls("sendMessage") if c.params["chat_id"] == group.id]
    assert len(sent) == 3
    assert all("message_thread_id" not in c.params for c in sent)
