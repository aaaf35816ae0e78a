"""The team roster (`/roster on|off`) and people who leave: leaving or being removed from
the roster group ends a person's access at once and the admins are told which seeds that
person has seen; owners keep theirs; groups upgraded, re-added, forums, anonymous admins."""

from __future__ import annotations

import asyncio

import pyotp

from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, ask, bot_messages, setup_team
from tests.fake_telegram import FakeChat, FakeUser

ROSTER_ON = (
    "📋 This group is now the team roster: whoever leaves it or is removed from it loses "
    "their access at once, and the admins are told. Joining it grants nothing."
)
ONLY_CODES = "They only ever saw codes, never a seed: nothing needs re-keying."
SEEN = "⚠️ They have seen the seeds of these accounts and may still have them:"
NOT_APPROVED = "Hello! Codes are not shown here until an admin of the team sends /approve."


def amazon_code(bot: Bot) -> str:
    return pyotp.TOTP(SECRET).at(bot.clock.now)


def refused_as_stranger(reply: dict[str, object], user: FakeUser) -> bool:
    said = str(reply["text"])
    return "not a member" in said and str(user.id) in said


async def roster_group(bot: Bot, title: str = "Team", *, hides_joins: bool = False) -> FakeChat:
    """`setup_team`, with its group made the roster: the bot an admin there, `/roster on`,
    and the member in the group."""
    p = bot.people
    await setup_team(bot, approve_group=False)
    group = bot.tg.group(title, bot_is_admin=True, hides_joins=hides_joins)
    await bot.tg.add_bot_to_group(group, by=p.admin)  # the admin: the group's creator
    await bot.tg.next_message(group)  # "approved"
    assert (await ask(bot, p.admin, "/roster on", chat=group))["text"] == ROSTER_ON
    await bot.tg.user_joins(group, p.member)
    return group


async def next_notice(bot: Bot, user: FakeUser) -> str:
    """The next message `user` gets in private that is not a code-request notification."""
    chat = bot.tg.private(user)
    while True:
        said = str((await bot.tg.next_message(chat)).get("text", ""))
        if not said.startswith("🔔"):
            return said


async def quiet_now(bot: Bot) -> None:
    """Every update handled, and the notices they published given time to go out."""
    await bot.settle()
    await asyncio.sleep(0.3)


def told(bot: Bot, user: FakeUser, mark: str = "🚪") -> list[str]:
    return [m["text"] for m in bot_messages(bot, bot.tg.private(user)) if mark in m["text"]]


# ------------------------------------------------------------------ leaving


async def test_leaving_the_roster_group_ends_a_members_access_and_admins_are_told(
    bot: Bot,
) -> None:
    group = await roster_group(bot)
    p = bot.people
    assert amazon_code(bot) in (await ask(bot, p.member, "/code"))["text"]

    await bot.tg.user_leaves(group, p.member)
    for admin in (p.owner, p.admin):
        notice = await next_notice(bot, admin)
        assert notice.startswith(
            f"🚪 mia @mia ({p.member.id}) left the roster group “Team”: their access ended at once."
        )
        assert ONLY_CODES in notice
    assert refused_as_stranger(await ask(bot, p.member, "/code"), p.member)
    # Telegram told of the leave twice (chat_member and the service message): told once.
    await quiet_now(bot)
    assert len(told(bot, p.owner)) == 1
    assert len(told(bot, p.admin)) == 1


async def test_being_removed_from_the_roster_group_ends_access_and_says_by_whom(
    bot: Bot,
) -> None:
    group = await roster_group(bot)
    p = bot.people
    await bot.tg.remove_user(group, p.member, by=p.admin)

    notice = await next_notice(bot, p.owner)
    assert notice.startswith(
        f"🚪 mia @mia ({p.member.id}) was removed from the roster group “Team” by adam: "
        "their access ended at once."
    )
    assert refused_as_stranger(await ask(bot, p.member, "/code"), p.member)
    await quiet_now(bot)
    assert len(told(bot, p.owner)) == 1
    assert len(told(bot, p.admin)) == 1  # the admin who removed them is told too
    log = (await ask(bot, p.owner, "/audit 5 admin"))["text"]
    assert log.count("removed @mia from roster group") == 1
    assert f"@adam removed @mia from roster group {group.id} — access ended" in log


async def test_leaving_a_group_that_hides_leave_messages_is_noticed_from_chat_member(
    bot: Bot,
) -> None:
    """Supergroups can hide join and leave messages: only the `chat_member` update, which
    the bot asks for, tells of the leave then."""
    group = await roster_group(bot, "Big", hides_joins=True)
    p = bot.people
    await bot.tg.remove_user(group, p.member, by=p.admin)
    assert "was removed from the roster group “Big” by adam" in await next_notice(bot, p.owner)
    assert refused_as_stranger(await ask(bot, p.member, "/code"), p.member)


async def test_the_bot_made_a_plain_member_warns_and_still_sees_leave_messages(
    bot: Bot,
) -> None:
    """A bot that is no longer an admin gets no `chat_member` updates: the admins are
    warned; the service message of someone leaving still ends their access."""
    group = await roster_group(bot)
    p = bot.people
    await bot.tg.demote_bot(group, by=p.admin)
    warned = await next_notice(bot, p.owner)
    assert warned.startswith(
        "⚠️ I was made a plain member of the roster group “Team” by adam, no longer an "
        "administrator."
    )
    assert "Make me an administrator there again." in warned
    await bot.tg.user_leaves(group, p.member)
    assert "left the roster group" in await next_notice(bot, p.owner)
    assert refused_as_stranger(await ask(bot, p.member, "/code"), p.member)


async def test_joining_the_roster_group_grants_nothing_and_a_strangers_leave_is_not_told(
    bot: Bot,
) -> None:
    group = await roster_group(bot)
    p = bot.people
    await bot.tg.user_joins(group, p.stranger)
    assert refused_as_stranger(await ask(bot, p.stranger, "/code"), p.stranger)
    assert refused_as_stranger(await ask(bot, p.stranger, "/code", chat=group), p.stranger)

    await bot.tg.user_leaves(group, p.stranger)
    await quiet_now(bot)
    assert told(bot, p.owner) == []
    assert told(bot, p.admin) == []


async def test_leaving_a_group_that_is_not_the_roster_changes_nothing(bot: Bot) -> None:
    await setup_team(bot, approve_group=False)
    p = bot.people
    group = bot.tg.group("Chat", bot_is_admin=True)
    await bot.tg.add_bot_to_group(group, by=p.admin)
    await bot.tg.next_message(group)  # approved, but not the roster
    await bot.tg.user_joins(group, p.member)
    await bot.tg.user_leaves(group, p.member)
    await quiet_now(bot)
    assert amazon_code(bot) in (await ask(bot, p.member, "/code"))["text"]
    assert told(bot, p.owner) == []


async def test_a_restricted_member_keeps_access_until_they_leave(bot: Bot) -> None:
    group = await roster_group(bot)
    p = bot.people
    await bot.tg.restrict_user(group, p.member, by=p.admin)
    await quiet_now(bot)
    assert amazon_code(bot) in (await ask(bot, p.member, "/code"))["text"]
    assert told(bot, p.owner) == []

    await bot.tg.user_leaves(group, p.member)  # restricted, no longer a member
    assert "left the roster group" in await next_notice(bot, p.owner)
    assert refused_as_stranger(await ask(bot, p.member, "/code"), p.member)


async def test_admins_who_turned_notifications_off_are_still_told(bot: Bot) -> None:
    group = await roster_group(bot)
    p = bot.people
    assert "off" in (await ask(bot, p.admin, "/notify off"))["text"]
    await bot.tg.user_leaves(group, p.member)
    assert "left the roster group" in await next_notice(bot, p.admin)


# ------------------------------------------------------- who is and is not removed


async def test_an_owner_who_leaves_the_roster_group_keeps_access_and_admins_are_told(
    bot: Bot,
) -> None:
    group = await roster_group(bot)
    p = bot.people
    await bot.tg.user_joins(group, p.owner)
    await bot.tg.user_leaves(group, p.owner)

    notice = await next_notice(bot, p.admin)
    assert notice.startswith(
        f"🚪 olga Owner @olga ({p.owner.id}), an owner, is no longer in the roster group “Team”."
    )
    assert "Owners keep their access" in notice
    assert "TEAMOTP_OWNER_IDS" in notice
    assert amazon_code(bot) in (await ask(bot, p.owner, "/code"))["text"]
    assert "Members (3)" in (await ask(bot, p.owner, "/members"))["text"]
    await quiet_now(bot)
    assert len(told(bot, p.admin)) == 1  # told once, though Telegram told the bot twice
    assert told(bot, p.owner) == []  # nobody tells the owner of their own leave


async def test_an_admin_who_added_an_account_and_leaves_is_named_with_it_to_re_key(
    bot: Bot,
) -> None:
    group = await roster_group(bot)
    p = bot.people
    await bot.tg.user_leaves(group, p.admin)  # adam added amazon-us in setup_team

    notice = await next_notice(bot, p.owner)
    assert f"🚪 adam @adam ({p.admin.id}) left the roster group “Team”" in notice
    assert SEEN in notice
    assert "• amazon-us (added it): /secret rotate amazon-us" in notice
    assert ONLY_CODES not in notice
    assert refused_as_stranger(await ask(bot, p.admin, "/code"), p.admin)
    assert refused_as_stranger(await ask(bot, p.admin, f"/add {p.stranger.id}"), p.admin)


async def test_revoking_an_admin_who_added_accounts_names_them_and_tells_the_others(
    bot: Bot,
) -> None:
    await setup_team(bot)
    p = bot.people
    ann = bot.tg.user("Ann")
    await ask(bot, p.owner, f"/promote {ann.id}")
    await bot.tg.send(ann, bot.tg.private(ann), f"/secret add ebay {OTHER_SECRET}")
    await bot.tg.next_message(bot.tg.private(ann))  # "added"
    await bot.tg.next_message(bot.tg.private(ann))  # its code

    revoked = (await ask(bot, p.owner, f"/revoke {ann.id}"))["text"]
    assert revoked.startswith("🚫 Ann is no longer a member.")
    assert SEEN in revoked
    assert "• ebay (added it): /secret rotate ebay" in revoked
    assert "amazon-us" not in revoked  # adam added that one, not Ann

    notice = await next_notice(bot, p.admin)
    assert notice.startswith(
        f"🚫 Access ended: Ann @ann ({ann.id}) was removed from the team by olga Owner."
    )
    assert "• ebay (added it): /secret rotate ebay" in notice
    await quiet_now(bot)
    assert told(bot, p.owner, "🚫 Access ended") == []  # the owner read it in the reply


async def test_revoking_a_plain_member_says_they_only_saw_codes(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    await ask(bot, p.member, "/start")  # the bot knows mia's name from now on
    revoked = (await ask(bot, p.admin, f"/revoke {p.member.id}"))["text"]
    assert "no longer a member" in revoked
    assert ONLY_CODES in revoked
    notice = await next_notice(bot, p.owner)
    assert notice.startswith("🚫 Access ended: mia @mia")
    assert ONLY_CODES in notice


async def test_a_demoted_admin_keeps_codes_and_the_seeds_they_saw_are_named(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    demoted = (await ask(bot, p.owner, f"/demote {p.admin.id}"))["text"]
    assert demoted.startswith("adam is a member again (no longer an admin).")
    assert "• amazon-us (added it): /secret rotate amazon-us" in demoted
    assert amazon_code(bot) in (await ask(bot, p.admin, "/code"))["text"]


async def test_configured_owners_cannot_be_revoked_or_demoted_and_the_reply_says_why(
    bot: Bot,
) -> None:
    await setup_team(bot)
    p = bot.people
    li = bot.tg.user("Li", language_code="zh-hans")
    await ask(bot, p.owner, f"/promote {li.id}")

    refused = (await ask(bot, p.admin, f"/revoke {p.owner.id}"))["text"]
    assert "is an owner, set on the server in TEAMOTP_OWNER_IDS" in refused
    assert "take their id out of TEAMOTP_OWNER_IDS there" in refused
    refused = (await ask(bot, p.owner, f"/demote {p.owner.id}"))["text"]
    assert "is an owner, not an admin" in refused
    assert "cannot be demoted from Telegram" in refused
    assert "TEAMOTP_OWNER_IDS" in refused
    chinese = (await ask(bot, li, f"/revoke {p.owner.id}"))["text"]
    assert "在服务器的 TEAMOTP_OWNER_IDS 中设置" in chinese
    assert amazon_code(bot) in (await ask(bot, p.owner, "/code"))["text"]


# ----------------------------------------------------------------- /roster itself


async def test_roster_on_is_refused_until_the_bot_is_an_administrator(bot: Bot) -> None:
    group = await setup_team(bot)  # the bot is a plain member there
    p = bot.people
    refused = (await ask(bot, p.admin, "/roster on", chat=group))["text"]
    assert refused.startswith("I am not an administrator of this group")
    assert (
        "This group is not the team roster"
        in (await ask(bot, p.admin, "/roster", chat=group))["text"]
    )
    await bot.tg.user_leaves(group, p.member)
    await quiet_now(bot)
    assert amazon_code(bot) in (await ask(bot, p.member, "/code"))["text"]

    await bot.tg.promote_bot(group, by=p.admin)
    assert (await ask(bot, p.admin, "/roster on", chat=group))["text"] == ROSTER_ON


async def test_roster_on_is_refused_in_a_group_that_is_not_approved(bot: Bot) -> None:
    await setup_team(bot, approve_group=False)
    p = bot.people
    group = bot.tg.group("Lobby", bot_is_admin=True)
    await bot.tg.add_bot_to_group(group, by=p.stranger)
    assert (await bot.tg.next_message(group))["text"] == NOT_APPROVED
    refused = (await ask(bot, p.admin, "/roster on", chat=group))["text"]
    assert refused.startswith("This group is not approved, so it cannot be the team roster.")
    assert "/approve" in refused


async def test_roster_on_says_so_when_telegram_cannot_be_asked(bot: Bot) -> None:
    group = await setup_team(bot, approve_group=False)
    p = bot.people
    group = bot.tg.group("Team", bot_is_admin=True)
    await bot.tg.add_bot_to_group(group, by=p.admin)
    await bot.tg.next_message(group)
    bot.tg.fail("getChatMember", status=400, description="Bad Request: member list is inaccessible")
    refused = (await ask(bot, p.admin, "/roster on", chat=group))["text"]
    assert refused.startswith("I could not check with Telegram whether I am an administrator")
    assert (
        "This group is not the team roster"
        in (await ask(bot, p.admin, "/roster", chat=group))["text"]
    )


async def test_roster_alone_shows_the_state_and_how_to_use_it(bot: Bot) -> None:
    group = await roster_group(bot)
    p = bot.people
    shown = (await ask(bot, p.admin, "/roster", chat=group))["text"]
    assert shown.startswith("This group is the team roster: whoever leaves it loses their access.")
    assert "/roster on — " in shown
    assert "/roster off — " in shown
    again = await ask(bot, p.admin, "/roster on!", chat=group)
    assert again["text"] == "This group is already the team roster."


async def test_roster_off_stops_leaving_from_ending_access(bot: Bot) -> None:
    group = await roster_group(bot)
    p = bot.people
    off = (await ask(bot, p.admin, "/roster off", chat=group))["text"]
    assert off.startswith("This group is no longer the team roster")
    again = (await ask(bot, p.admin, "/roster off", chat=group))["text"]
    assert again == "This group is not the team roster."
    await bot.tg.user_leaves(group, p.member)
    await quiet_now(bot)
    assert amazon_code(bot) in (await ask(bot, p.member, "/code"))["text"]
    assert told(bot, p.owner) == []


async def test_roster_is_for_admins_and_only_in_groups(bot: Bot) -> None:
    group = await roster_group(bot)
    p = bot.people
    assert (await ask(bot, p.member, "/roster off", chat=group))["text"] == (
        "Only admins may do that."
    )
    assert (await ask(bot, p.admin, "/roster on"))["text"] == "That works only in a group."
    assert (
        "This group is the team roster" in (await ask(bot, p.admin, "/roster", chat=group))["text"]
    )


async def test_unapproving_the_group_ends_its_roster_role(bot: Bot) -> None:
    group = await roster_group(bot)
    p = bot.people
    await ask(bot, p.admin, "/unapprove", chat=group)
    await ask(bot, p.admin, "/approve", chat=group)
    assert (
        "This group is not the team roster"
        in (await ask(bot, p.admin, "/roster", chat=group))["text"]
    )
    await bot.tg.user_leaves(group, p.member)
    await quiet_now(bot)
    assert amazon_code(bot) in (await ask(bot, p.member, "/code"))["text"]


async def test_roster_changes_and_leaves_are_in_the_audit_log_in_both_languages(
    bot: Bot,
) -> None:
    group = await roster_group(bot)
    p = bot.people
    li = bot.tg.user("Li", language_code="zh-hans")
    await ask(bot, li, "/start")
    await ask(bot, p.owner, f"/promote {li.id}")
    await bot.tg.user_leaves(group, p.member)
    await next_notice(bot, p.owner)
    assert (await next_notice(bot, li)).startswith(
        f"🚪 mia @mia（{p.member.id}）退出了名册群组“Team”：其权限已立即结束。"
    )
    await ask(bot, p.admin, "/roster off", chat=group)

    log = (await ask(bot, p.owner, "/audit 10"))["text"]
    assert f"@adam made group {group.id} the team roster" in log
    assert f"@mia left roster group {group.id} — access ended" in log
    assert f"@adam stopped group {group.id} being the team roster" in log
    chinese = (await ask(bot, li, "/audit 10"))["text"]
    assert f"将群组 {group.id} 设为团队名册" in chinese
    assert f"退出名册群组 {group.id} — 权限已结束" in chinese
    assert f"取消群组 {group.id} 的团队名册身份" in chinese


# ------------------------------------------- upgrades, re-adds, topics, anonymity


async def test_a_group_upgraded_to_a_supergroup_keeps_its_roster_and_history(bot: Bot) -> None:
    group = await roster_group(bot)
    p = bot.people
    supergroup = await bot.tg.migrate_to_supergroup(group, by=p.admin)
    shown = (await ask(bot, p.admin, "/roster", chat=supergroup))["text"]
    assert shown.startswith("This group is the team roster")

    await bot.tg.user_leaves(supergroup, p.member)
    assert "left the roster group" in await next_notice(bot, p.owner)
    assert refused_as_stranger(await ask(bot, p.member, "/code"), p.member)
    log = (await ask(bot, p.owner, "/audit 10 admin"))["text"]
    assert f"made group {group.id} the team roster" in log
    assert (
        f"group {group.id} became supergroup {supergroup.id} (its earlier events show {group.id})"
    ) in log
    assert f"@mia left roster group {supergroup.id}" in log


async def test_the_bot_kicked_and_added_back_by_a_non_admin_is_unapproved(bot: Bot) -> None:
    group = await roster_group(bot)
    p = bot.people
    await bot.tg.remove_bot_from_group(group, by=p.admin, kicked=True)
    await bot.settle()
    await bot.tg.add_bot_to_group(group, by=p.member)
    assert (await bot.tg.next_message(group))["text"] == NOT_APPROVED
    assert "This group is not approved" in (await ask(bot, p.admin, "/roster", chat=group))["text"]
    await bot.tg.user_leaves(group, p.stranger)
    await bot.tg.user_joins(group, p.stranger)
    await bot.tg.remove_user(group, p.member, by=p.admin)
    await quiet_now(bot)
    assert amazon_code(bot) in (await ask(bot, p.member, "/code"))["text"]
    assert told(bot, p.owner) == []


async def test_roster_and_code_replies_go_to_the_forum_topic_they_came_from(bot: Bot) -> None:
    await setup_team(bot, approve_group=False)
    p = bot.people
    forum = bot.tg.group("Ops", forum=True, bot_is_admin=True)
    await bot.tg.add_bot_to_group(forum, by=p.admin)
    await bot.tg.next_message(forum)  # "approved"
    topic = bot.tg.create_topic(forum, "Team", by=p.admin)

    on = await ask(bot, p.admin, "/roster on", chat=forum, message_thread_id=topic)
    assert on["text"] == ROSTER_ON
    assert on["message_thread_id"] == topic
    shown = await ask(bot, p.admin, "/roster", chat=forum, message_thread_id=topic)
    assert shown["message_thread_id"] == topic
    refused = await ask(bot, p.member, "/roster off", chat=forum, message_thread_id=topic)
    assert refused["text"] == "Only admins may do that."
    assert refused["message_thread_id"] == topic
    code = await ask(bot, p.member, "/code", chat=forum, message_thread_id=topic)
    assert amazon_code(bot) in code["text"]
    assert code["message_thread_id"] == topic

    await bot.tg.user_leaves(forum, p.member)
    assert "left the roster group “Ops”" in await next_notice(bot, p.owner)


async def test_an_anonymous_admin_is_told_how_to_be_identified(bot: Bot) -> None:
    group = await roster_group(bot)
    await bot.tg.send(None, group, "/roster off", sender_chat=group)
    said = (await bot.tg.next_message(group))["text"]
    assert "anonymous admin" in said
    assert 'turn off "Remain anonymous"' in said
    assert "admin settings" in said
    assert "message me in private" in said
    shown = (await ask(bot, bot.people.admin, "/roster", chat=group))["text"]
    assert shown.startswith("This group is the team roster")  # nothing changed
