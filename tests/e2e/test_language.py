"""Replies in the user's language: `language_code` starting with zh → Simplified Chinese,
anything else (or none) → English."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest

from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, ask, setup_team


async def test_simplified_chinese_user_gets_chinese_replies(bot: Bot) -> None:
    group = await setup_team(bot)
    li = bot.tg.user("Li", language_code="zh-hans")

    start = (await ask(bot, li, "/start"))["text"]
    assert f"你的 Telegram ID：{li.id}" in start
    assert "你还不是成员" in start
    refused = (await ask(bot, li, "/code"))["text"]
    assert refused == f"你不是成员。你的 Telegram ID 是 {li.id}，请发给团队管理员，由管理员添加你。"

    await ask(bot, bot.people.admin, f"/add {li.id}")
    code = pyotp.TOTP(SECRET).at(bot.clock.now)
    reply = await ask(bot, li, "/code", chat=group)
    assert reply["text"] == f"🔑 amazon-us — Li 请求\n{code}\n有效期还剩 25 秒。"
    assert reply["reply_markup"]["inline_keyboard"][0][0]["text"] == f"复制 {code}"
    assert (await ask(bot, li, "/members"))["text"] == "只有管理员可以这样做。"
    assert "你的身份：<b>成员</b>" not in (await ask(bot, li, "/help"))["text"]  # HTML rendered
    assert "你的身份：成员" in (await ask(bot, li, "/help"))["text"]


@pytest.mark.parametrize("language_code", ["en", None, "de"])
async def test_other_languages_get_english(bot: Bot, language_code: str | None) -> None:
    await setup_team(bot)
    user = bot.tg.user("Kim", language_code=language_code)
    assert f"Your Telegram id: {user.id}" in (await ask(bot, user, "/start"))["text"]
    refused = (await ask(bot, user, "/code"))["text"]
    assert refused.startswith("You are not a member.")
    await ask(bot, bot.people.admin, f"/add {user.id}")
    assert "Valid for 25 s." in (await ask(bot, user, "/code"))["text"]


async def test_each_user_in_a_group_is_answered_in_their_own_language(bot: Bot) -> None:
    group = await setup_team(bot)
    li = bot.tg.user("Li", language_code="zh")
    await ask(bot, bot.people.admin, f"/add {li.id}")
    assert "有效期还剩" in (await ask(bot, li, "/code", chat=group))["text"]
    assert "Valid for" in (await ask(bot, bot.people.member, "/code", chat=group))["text"]
    stranger = (await ask(bot, bot.people.stranger, "/code", chat=group))["text"]
    assert stranger.startswith("You are not a member.")


async def test_chinese_admin_gets_chinese_admin_replies(bot: Bot) -> None:
    await setup_team(bot, approve_group=False)
    wang = bot.tg.user("Wang", language_code="zh-hans")
    await ask(bot, bot.people.owner, f"/promote {wang.id}")
    assert (await ask(bot, wang, "/promote 4242"))["text"] == "只有所有者可以这样做。"
    refused = (await ask(bot, wang, "/add @nobody_here"))["text"]
    assert refused.startswith("找不到 @nobody_here：对方还没有和我打过交道。")
    added = (await ask(bot, wang, f"/add {bot.people.stranger.id}"))["text"]
    assert added == f"✅ {bot.people.stranger.id} 已成为成员，可使用：全部账号。"

    group = bot.tg.group("团队")
    await bot.tg.add_bot_to_group(group, by=wang)
    assert (await bot.tg.next_message(group))["text"] == (
        "✅ 本群已开通验证码：成员可以在这里发送 /code 获取验证码。"
    )


async def test_a_chinese_admin_reads_lists_issuers_and_refused_links_in_chinese(bot: Bot) -> None:
    """What the code puts into a message (a list of names, an issuer after a name, why a
    link is refused) follows Chinese usage too: 、 between names, full-width brackets."""
    await setup_team(bot, approve_group=False)
    wang = bot.tg.user("Wang", language_code="zh-hans")
    await ask(bot, bot.people.owner, f"/promote {wang.id}")
    link = f"otpauth://totp/Cloud:ops?secret={OTHER_SECRET}&issuer=Cloud"
    added = (await ask(bot, wang, f"/secret add cloud {link}"))["text"]
    assert added.startswith("✅ 已添加 cloud（Cloud）。")
    await bot.tg.next_message(bot.tg.private(wang))  # the code
    assert "• cloud（Cloud） — 6 位，30 秒，SHA1" in (await ask(bot, wang, "/secret list"))["text"]
    member = bot.people.stranger
    granted = (await ask(bot, wang, f"/add {member.id} amazon-us cloud"))["text"]
    assert granted == f"✅ {member.id} 已成为成员，可使用：amazon-us、cloud。"
    assert f"添加成员 {member.id}（amazon-us、cloud）" in (await ask(bot, wang, "/audit 3"))["text"]
    unknown = (await ask(bot, wang, f"/add {member.id} nope gone"))["text"]
    assert unknown == "没有名为 nope、gone 的账号。发送 /secret list 查看全部账号。"
    refused = await ask(bot, wang, f"/secret add steam otpauth://steam/x?secret={OTHER_SECRET}")
    assert "这个 otpauth:// 链接无法使用（类型未知）。" in refused["text"]
    assert "unknown type" not in refused["text"]


async def test_command_menu_is_registered_in_english_and_chinese(bot: Bot) -> None:
    await bot.settle()
    english = bot.tg.commands()
    chinese = bot.tg.commands(language_code="zh")
    assert english is not None
    assert chinese is not None
    assert {"command": "code", "description": "Current code for an account"} in english
    assert {"command": "code", "description": "获取账号的当前验证码"} in chinese
    assert [c["command"] for c in english] == [c["command"] for c in chinese]
    assert "claim" not in [c["command"] for c in english]


# ---------------------------------------------------------------- /lang


async def test_lang_zh_makes_the_bot_answer_in_chinese_whatever_telegram_says(bot: Bot) -> None:
    """A seller who runs Telegram in English still reads Chinese best."""
    group = await setup_team(bot)
    member = bot.people.member  # Telegram in English
    assert (await ask(bot, member, "/lang zh"))["text"] == "好的，今后我用中文回复你。"
    code = pyotp.TOTP(SECRET).at(bot.clock.now)
    assert (await ask(bot, member, "/code", chat=group))["text"] == (
        f"🔑 amazon-us — {member.first_name} 请求\n{code}\n有效期还剩 25 秒。"
    )
    assert "你的身份：成员" in (await ask(bot, member, "/help"))["text"]
    assert (await ask(bot, member, "/lang"))["text"].startswith("按你的选择，我用中文回复你。")
    assert (await ask(bot, member, "/lang auto"))["text"] == (
        "Done: from now on I reply to you in your Telegram app's language."
    )
    assert "Valid for" in (await ask(bot, member, "/code", chat=group))["text"]


async def test_lang_en_makes_the_bot_answer_a_chinese_telegram_in_english(bot: Bot) -> None:
    await setup_team(bot)
    li = bot.tg.user("Li", language_code="zh-hans")
    assert (
        (await ask(bot, li, "/lang"))
        .get("text", "")
        .startswith("我按你的 Telegram 应用语言回复你。")
    )
    assert (await ask(bot, li, "/lang English"))["text"] == (
        "Done: from now on I reply to you in English."
    )
    refused = (await ask(bot, li, "/code"))["text"]
    assert refused.startswith("You are not a member.")
    assert (await ask(bot, li, "/lang 中文"))["text"] == "好的，今后我用中文回复你。"


async def test_an_unknown_language_changes_nothing_and_shows_the_choices(bot: Bot) -> None:
    await setup_team(bot)
    member = bot.people.member
    shown = (await ask(bot, member, "/lang fr"))["text"]
    assert shown.startswith("/lang zh — I reply to you in Chinese (中文)")
    assert "/lang auto" in shown
    assert "Valid for" in (await ask(bot, member, "/code"))["text"]


async def test_an_admin_who_chose_chinese_gets_notices_in_chinese(bot: Bot) -> None:
    """The notices come when someone else asks: the choice is kept, not read off the
    admin's own message."""
    group = await setup_team(bot)
    admin = bot.people.admin
    await ask(bot, admin, "/lang zh")
    await bot.tg.send(bot.people.member, group, "/code")
    notice = await bot.tg.wait_for(
        "sendMessage",
        where=lambda c: c.params["chat_id"] == admin.id and "🔔" in c.params["text"],
    )
    await notice.finished()
    assert "验证码" in notice.result["text"]
    assert "requested" not in notice.result["text"]


async def test_an_admin_sets_the_groups_language_and_the_group_hears_it(bot: Bot) -> None:
    """What the bot says to a whole group follows the group's language; each person's own
    replies stay in theirs."""
    group = await setup_team(bot)
    admin, member = bot.people.admin, bot.people.member
    assert (await ask(bot, admin, "/lang zh", chat=group))["text"].startswith(
        "本群语言已设为中文：机器人对全群说的话将使用该语言"
    )
    assert (await ask(bot, admin, "/lang", chat=group))["text"].startswith(
        "This group's language: Chinese (中文), set by an admin."  # a reply: in theirs
    )
    assert (await ask(bot, admin, "/unapprove", chat=group))["text"] == (
        "🚫 本群已关闭验证码，不再发送验证码。"
    )
    assert (await ask(bot, admin, "/approve", chat=group))["text"] == (
        "✅ 本群已开通验证码：成员可以在这里发送 /code 获取验证码。"
    )
    assert "Valid for" in (await ask(bot, member, "/code", chat=group))["text"]
    assert (await ask(bot, admin, "/lang auto", chat=group))["text"].startswith(
        "This group has no language set any more"
    )
    assert (await ask(bot, admin, "/unapprove", chat=group))["text"] == (
        "🚫 Codes are no longer shown in this group."
    )


async def test_a_stranger_adding_the_bot_is_answered_in_the_groups_language(bot: Bot) -> None:
    await setup_team(bot, approve_group=False)
    group = bot.tg.group("店铺")
    await bot.tg.add_bot_to_group(group, by=bot.people.admin)
    await bot.tg.next_message(group)  # approved
    await ask(bot, bot.people.admin, "/lang zh", chat=group)
    await bot.tg.remove_bot_from_group(group, by=bot.people.admin)
    await bot.tg.add_bot_to_group(group, by=bot.people.stranger)  # English Telegram
    assert (await bot.tg.next_message(group))["text"] == (
        "大家好！团队管理员发送 /approve 开通后，本群才会发送验证码。"
    )


async def test_only_an_admin_sets_a_groups_language(bot: Bot) -> None:
    group = await setup_team(bot)
    member = bot.people.member
    refused = (await ask(bot, member, "/lang zh", chat=group))["text"]
    assert refused == (
        "Only an admin can set this group's language. To set yours, send /lang to me in a "
        "private chat."
    )
    assert (await ask(bot, member, "/lang", chat=group))["text"].startswith(
        "This group has no language set"
    )
    assert "Valid for" in (await ask(bot, member, "/code"))["text"]  # theirs unchanged too


async def test_a_groups_language_is_in_the_audit_log(bot: Bot) -> None:
    group = await setup_team(bot)
    admin = bot.people.admin
    await ask(bot, admin, "/lang zh", chat=group)
    shown = (await ask(bot, admin, "/audit 1"))["text"]
    assert f"set the language of group {group.id} to Chinese (中文)" in shown


async def test_a_supergroup_keeps_the_language_of_the_group_it_was(bot: Bot) -> None:
    group = await setup_team(bot)
    admin = bot.people.admin
    await ask(bot, admin, "/lang zh", chat=group)
    supergroup = await bot.tg.migrate_to_supergroup(group, by=admin)
    await bot.settle()
    assert (await ask(bot, admin, "/lang", chat=supergroup))["text"].startswith(
        "This group's language: Chinese (中文), set by an admin."
    )


async def test_the_audit_chat_is_told_in_the_language_an_admin_set_for_it(
    start_bot: Any, tg: Any
) -> None:
    audit = tg.group("操作记录")
    bot: Bot = await start_bot({"TEAMOTP_AUDIT_CHAT_ID": str(audit.id)})
    await setup_team(bot)
    admin = bot.people.admin
    await tg.add_bot_to_group(audit, by=admin)
    await tg.next_message(audit)  # approved
    await ask(bot, admin, "/lang zh", chat=audit)
    await tg.send(bot.people.member, tg.private(bot.people.member), "/code")
    notice = await tg.wait_for(
        "sendMessage", where=lambda c: c.params["chat_id"] == audit.id and "🔔" in c.params["text"]
    )
    await notice.finished()
    assert "来源" in notice.result["text"]
    assert "Who:" not in notice.result["text"]
