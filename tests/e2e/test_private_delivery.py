"""`/policy NAME delivery private`: a code asked for in a group goes to the requester's
private chat and the group only sees a note; someone the bot may not write to yet gets a
button in the group that opens the private chat, and the code once they press Start."""

from __future__ import annotations

import json
from typing import Any

import pyotp

from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, ask, bot_messages, setup_team
from tests.fake_telegram import FakeChat, FakeUser

BELL = "🔔"
NOTE = "📬 Sent to you privately, mia."
LINK_PREFIX = "https://t.me/teamotp_test_bot?start=code_"


def amazon_code(bot: Bot) -> str:
    return pyotp.TOTP(SECRET).at(bot.clock.now)


def codes_now(bot: Bot) -> list[str]:
    """Every code of either account a message could show now or soon."""
    return [
        pyotp.TOTP(secret).at(bot.clock.now + later)
        for secret in (SECRET, OTHER_SECRET)
        for later in (0, 30)
    ]


def shows_no_code(bot: Bot, chat: FakeChat) -> bool:
    """Nothing in the chat's history (texts, buttons, copy buttons) holds a code."""
    history = json.dumps(bot.tg.messages(chat), ensure_ascii=False)
    return not any(code in history for code in codes_now(bot))


async def private_team(bot: Bot) -> FakeChat:
    group: FakeChat = await setup_team(bot)
    await ask(bot, bot.people.admin, "/policy amazon-us delivery private")
    return group


async def newcomer(bot: Bot, name: str = "nina") -> FakeUser:
    """A member who never pressed Start in the bot's chat."""
    user = bot.tg.user(name, started=False)
    await ask(bot, bot.people.admin, f"/add {user.id}")
    return user


def link_of(message: dict[str, Any]) -> str:
    (row,) = message["reply_markup"]["inline_keyboard"]
    (button,) = row
    assert set(button) == {"text", "url"}  # a URL button carries only its url
    assert button["text"] == "Open a private chat with me"
    url: str = button["url"]
    return url


async def granted_notices(bot: Bot, user: FakeUser, to: FakeUser) -> list[str]:
    """The "granted" notices about `user` sent to the admin `to`, once one arrived (notices
    go out in the background)."""

    def granted(params: dict[str, Any]) -> bool:
        said = str(params.get("text", ""))
        return (
            params["chat_id"] == to.id
            and BELL in said
            and "granted" in said
            and f"<code>{user.id}</code>" in said
        )

    await bot.tg.wait_for("sendMessage", where=lambda c: granted(c.params))
    return [c.params["text"] for c in bot.tg.calls("sendMessage") if granted(c.params)]


async def asked_in_group_by_newcomer(bot: Bot) -> tuple[FakeChat, FakeUser, dict[str, Any]]:
    group = await private_team(bot)
    nina = await newcomer(bot)
    offer = await ask(bot, nina, "/code", chat=group)
    return group, nina, offer


# ----------------------------------------------------------------- started the bot


async def test_a_group_request_is_answered_in_private_and_the_group_sees_only_a_note(
    bot: Bot,
) -> None:
    p, tg = bot.people, bot.tg
    group = await private_team(bot)
    request = await tg.send(p.member, group, "/code")
    note = await tg.next_message(group)
    assert note["text"] == NOTE
    assert note["reply_to_message"]["message_id"] == request["message_id"]
    code = await tg.next_message(tg.private(p.member))
    assert amazon_code(bot) in code["text"]
    assert code["has_protected_content"] is True
    assert shows_no_code(bot, group)

    for admin in (p.owner, p.admin):
        (told,) = await granted_notices(bot, p.member, admin)
        assert f"Where: group “Team” ({group.id}) → private chat" in told


async def test_the_note_is_in_the_requesters_language(bot: Bot) -> None:
    group = await private_team(bot)
    li = bot.tg.user("li", language_code="zh-hans")
    await ask(bot, bot.people.admin, f"/add {li.id}")
    note = await ask(bot, li, "/code", chat=group)
    assert note["text"] == "📬 li，验证码已私聊发给你。"
    assert amazon_code(bot) in (await bot.tg.next_message(bot.tg.private(li)))["text"]


async def test_a_press_on_the_picker_in_a_group_is_answered_in_private_too(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    group = await private_team(bot)
    await tg.send(p.admin, tg.private(p.admin), f"/secret add ebay {OTHER_SECRET}")
    await tg.next_message(tg.private(p.admin))
    await tg.next_message(tg.private(p.admin))
    picker = await ask(bot, p.member, "/code", chat=group)
    assert picker["text"] == "Which account?"

    await tg.press(p.member, picker, text="amazon-us")
    note = await tg.next_message(group)
    assert note["text"] == NOTE
    assert note["reply_to_message"]["message_id"] == picker["message_id"]
    assert amazon_code(bot) in (await tg.next_message(tg.private(p.member)))["text"]
    assert shows_no_code(bot, group)
    # The other account is delivered where it was asked for, as before.
    await tg.press(p.member, picker, text="ebay")
    ebay = await tg.next_message(group)
    assert pyotp.TOTP(OTHER_SECRET).at(bot.clock.now) in ebay["text"]


async def test_a_private_request_of_such_an_account_is_answered_as_before(bot: Bot) -> None:
    p = bot.people
    group = await private_team(bot)
    reply = await ask(bot, p.member, "/code")
    assert amazon_code(bot) in reply["text"]
    await bot.settle()
    assert bot_messages(bot, group)[-1]["text"] != NOTE  # nothing said in the group
    (told,) = await granted_notices(bot, p.member, p.admin)
    assert "Where: private chat" in told
    assert "→" not in told


async def test_an_account_delivered_here_is_answered_in_the_group_as_before(bot: Bot) -> None:
    p = bot.people
    group = await setup_team(bot)
    reply = await ask(bot, p.member, "/code", chat=group)
    assert amazon_code(bot) in reply["text"]
    assert "for mia" in reply["text"]
    assert bot_messages(bot, p.member) == []


async def test_a_502_on_the_private_send_is_retried(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    group = await private_team(bot)
    tg.fail(
        "sendMessage", status=502, times=1, where=lambda params: params["chat_id"] == p.member.id
    )
    await tg.send(p.member, group, "/code")
    code = await tg.next_message(tg.private(p.member))
    assert amazon_code(bot) in code["text"]
    assert (await tg.next_message(group))["text"] == NOTE


# ----------------------------------------------------------------- never started the bot


async def test_a_newcomer_gets_a_start_button_and_the_code_once_they_press_start(
    bot: Bot,
) -> None:
    p, tg = bot.people, bot.tg
    group, nina, offer = await asked_in_group_by_newcomer(bot)
    assert offer["text"].startswith("📬 nina, codes of amazon-us are sent only in a private chat")
    assert "works for 10 minutes" in offer["text"]
    assert link_of(offer).startswith(LINK_PREFIX)
    assert bot_messages(bot, nina) == []
    assert shows_no_code(bot, group)

    await tg.open_link(nina, link_of(offer))
    code = await tg.next_message(tg.private(nina))
    assert amazon_code(bot) in code["text"]
    assert code["has_protected_content"] is True
    help_text = await tg.next_message(tg.private(nina))  # then the usual /start
    assert "You are a member" in help_text["text"]
    assert shows_no_code(bot, group)
    # Told once, after the code arrived, asked in the group and delivered in private.
    (told,) = await granted_notices(bot, nina, p.admin)
    assert f"group “Team” ({group.id}) → private chat" in told
    audit = await ask(bot, p.admin, "/audit 5")
    assert "took the code of amazon-us from a private-chat link — granted" in audit["text"]


async def test_the_same_link_twice_gives_one_code(bot: Bot) -> None:
    tg = bot.tg
    _, nina, offer = await asked_in_group_by_newcomer(bot)
    await tg.open_link(nina, link_of(offer))
    await tg.next_message(tg.private(nina))  # the code
    await tg.next_message(tg.private(nina))  # the help
    again = await bot.say(nina, link_of(offer).replace(LINK_PREFIX, "/start code_"))
    assert "This link no longer works" in again["text"]
    await tg.next_message(tg.private(nina))  # the help again
    await bot.settle()
    shown = [m for m in bot_messages(bot, nina) if amazon_code(bot) in m["text"]]
    assert len(shown) == 1


async def test_someone_else_using_the_link_gets_nothing_and_the_owner_still_can(
    bot: Bot,
) -> None:
    p, tg = bot.people, bot.tg
    _, nina, offer = await asked_in_group_by_newcomer(bot)
    await tg.open_link(p.member, link_of(offer))
    refused = await tg.next_message(tg.private(p.member))
    assert "This link was made for someone else" in refused["text"]
    await bot.settle()
    assert all(amazon_code(bot) not in m["text"] for m in bot_messages(bot, p.member))

    await tg.open_link(nina, link_of(offer))
    assert amazon_code(bot) in (await tg.next_message(tg.private(nina)))["text"]


async def test_an_expired_link_is_refused_and_its_button_is_gone(bot: Bot) -> None:
    tg = bot.tg
    group, nina, offer = await asked_in_group_by_newcomer(bot)
    await bot.settle()
    assert not tg.is_deleted(group, offer["message_id"])
    bot.clock.advance(601)
    await tg.open_link(nina, link_of(offer))
    refused = await tg.next_message(tg.private(nina))
    assert "This link has expired" in refused["text"]
    await bot.settle()
    assert all(amazon_code(bot) not in m["text"] for m in bot_messages(bot, nina))
    call = await tg.wait_for(
        "deleteMessage",
        where=lambda c: c.params == {"chat_id": group.id, "message_id": offer["message_id"]},
    )
    await call.finished()
    assert tg.is_deleted(group, offer["message_id"])


async def test_a_member_revoked_before_pressing_start_gets_no_code(bot: Bot) -> None:
    tg = bot.tg
    _, nina, offer = await asked_in_group_by_newcomer(bot)
    await ask(bot, bot.people.admin, f"/revoke {nina.id}")
    await tg.open_link(nina, link_of(offer))
    refused = await tg.next_message(tg.private(nina))
    assert "not a member" in refused["text"]
    await bot.settle()
    assert all(amazon_code(bot) not in m["text"] for m in bot_messages(bot, nina))


async def test_a_lock_before_pressing_start_refuses_the_code(bot: Bot) -> None:
    tg = bot.tg
    _, nina, offer = await asked_in_group_by_newcomer(bot)
    await ask(bot, bot.people.admin, "/lock")
    await tg.open_link(nina, link_of(offer))
    refused = await tg.next_message(tg.private(nina))
    assert "The bot is locked" in refused["text"]
    await bot.settle()
    assert all(amazon_code(bot) not in m["text"] for m in bot_messages(bot, nina))


async def test_a_member_who_blocked_the_bot_gets_the_button_too(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    group = await private_team(bot)
    tg.block(p.member)
    await bot.settle()
    offer = await ask(bot, p.member, "/code", chat=group)
    assert link_of(offer).startswith(LINK_PREFIX)
    await tg.open_link(p.member, link_of(offer))  # unblocks, as pressing Start does
    assert amazon_code(bot) in (await tg.next_message(tg.private(p.member)))["text"]


async def test_asking_again_replaces_the_earlier_button(bot: Bot) -> None:
    tg = bot.tg
    group, nina, first = await asked_in_group_by_newcomer(bot)
    second = await ask(bot, nina, "/code", chat=group)
    assert link_of(second) != link_of(first)
    await tg.open_link(nina, link_of(first))
    assert "no longer works" in (await tg.next_message(tg.private(nina)))["text"]
    await tg.next_message(tg.private(nina))  # the help
    await tg.open_link(nina, link_of(second))
    assert amazon_code(bot) in (await tg.next_message(tg.private(nina)))["text"]


async def test_in_a_forum_topic_the_note_and_the_button_stay_in_the_topic(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    await private_team(bot)
    forum = tg.group("Ops", forum=True)
    await tg.add_bot_to_group(forum, by=p.admin)
    await tg.next_message(forum)  # "approved"
    topic = tg.create_topic(forum, "Codes", by=p.admin)
    nina = await newcomer(bot)

    note = await ask(bot, p.member, "/code", chat=forum, message_thread_id=topic)
    assert note["text"] == NOTE
    assert note["message_thread_id"] == topic
    offer = await ask(bot, nina, "/code", chat=forum, message_thread_id=topic)
    assert offer["message_thread_id"] == topic
    await tg.open_link(nina, link_of(offer))
    assert amazon_code(bot) in (await tg.next_message(tg.private(nina)))["text"]
    assert shows_no_code(bot, forum)


# ----------------------------------------------------------------- /start with other payloads


async def test_start_with_any_other_payload_is_just_start(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    await private_team(bot)
    for payload in ("junk", "code_" + "x" * 60, "a" * 65, "code_!!"):
        before = len(bot_messages(bot, p.stranger))
        answer = await bot.say(p.stranger, f"/start {payload}")
        assert "You are not a member yet" in answer["text"]
        await bot.settle()
        assert len(bot_messages(bot, p.stranger)) == before + 1
    await tg.open_link(p.stranger, "https://t.me/teamotp_test_bot?start=" + "a" * 65)
    assert "You are not a member yet" in (await tg.next_message(tg.private(p.stranger)))["text"]
