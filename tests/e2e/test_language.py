"""Replies in the user's language: `language_code` starting with zh → Simplified Chinese,
anything else (or none) → English."""

from __future__ import annotations

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
