"""Getting codes: /code, the picker, the reply's shape, and its deletion."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)

from bot.chat.sweeper import sweep
from bot.rules.auditlog import REPEAT_WINDOW
from bot.rules.model import Person
from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, ask, setup_team
from tests.fake_telegram import Call, FakeChat, FakeUser
from tests.fake_telegram.utf16 import utf16_slice

THIRD_SECRET = "MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK"


# ----------------------------------------------------------------- helpers


def code_now(bot: Bot, secret: str = SECRET, *, later: float = 0) -> str:
    return pyotp.TOTP(secret).at(bot.clock.now + later)


def monospace(message: dict[str, Any]) -> list[str]:
    """The parts shown in monospace (entities of type "code"; offsets count UTF-16 units)."""
    text = message["text"]
    return [
        utf16_slice(text, e["offset"], e["length"])
        for e in message.get("entities", [])
        if e["type"] == "code"
    ]


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def from_bot(bot: Bot, chat: FakeChat | FakeUser) -> list[dict[str, Any]]:
    """The bot's messages in the chat now (deleted ones gone)."""
    return [m for m in bot.tg.messages(chat) if m["from"]["id"] == bot.tg.bot.id]


async def add_account(bot: Bot, name: str, secret: str) -> None:
    admin = bot.people.admin
    chat = bot.tg.private(admin)
    await bot.tg.send(admin, chat, f"/secret add {name} {secret}")
    await bot.tg.next_message(chat)  # "added"
    await bot.tg.next_message(chat)  # its code


async def answered_once(bot: Bot, query_id: str) -> dict[str, Any]:
    """Wait for the bot's answer to a button press; it must answer it exactly once."""
    await bot.tg.wait_for(
        "answerCallbackQuery", where=lambda c: c.params["callback_query_id"] == query_id
    )
    await bot.settle()
    answers = [
        c for c in bot.tg.calls("answerCallbackQuery") if c.params["callback_query_id"] == query_id
    ]
    assert len(answers) == 1
    answer = bot.tg.callback_answer(query_id)
    assert answer is not None
    return answer


def deletion_of(chat: FakeChat | FakeUser, message: dict[str, Any]) -> Callable[[Call], bool]:
    chat_id = chat.id
    return lambda c: (
        c.params["chat_id"] == chat_id and c.params["message_id"] == message["message_id"]
    )


async def sweep_done(bot: Bot) -> None:
    """Wait until the deletion sweeper has made one whole pass that started after this call.

    A negative ("not deleted yet") is proven only once a sweep has looked at the clock as
    the test set it; the scheduler's own events say when a pass starts and ends."""
    assert bot.app.job_queue is not None
    scheduler = bot.app.job_queue.scheduler
    (job,) = [j for j in bot.app.job_queue.jobs() if j.name == sweep.__name__]
    started, finished = asyncio.Event(), asyncio.Event()

    def listen(event: JobEvent) -> None:
        if event.job_id != job.job.id:
            return
        if event.code == EVENT_JOB_SUBMITTED:
            started.set()
        elif started.is_set():
            finished.set()

    scheduler.add_listener(listen, EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        await asyncio.wait_for(finished.wait(), 5)
    finally:
        scheduler.remove_listener(listen)


async def stop(bot: Bot) -> None:
    """Stop a running bot the way `teamotp run` stops on SIGTERM."""
    app = bot.app
    assert app.updater is not None
    await app.updater.stop()
    await app.stop()
    if app.post_stop is not None:
        await app.post_stop(app)
    await app.shutdown()


# ------------------------------------------------------------ who gets codes


async def test_member_gets_valid_code_in_approved_group(bot: Bot) -> None:
    group = await setup_team(bot)
    reply = await bot.say(bot.people.member, "/code", chat=group)
    expected = pyotp.TOTP(SECRET).at(bot.clock.now)
    assert expected in reply["text"]
    assert "amazon-us" in reply["text"]
    assert reply["protect_content"] is True
    button = reply["reply_markup"]["inline_keyboard"][0][0]
    assert button["copy_text"]["text"] == expected


@pytest.mark.parametrize("role", ["member", "admin", "owner"])
async def test_every_role_gets_a_code_in_private(bot: Bot, role: str) -> None:
    await setup_team(bot)
    user = getattr(bot.people, role)
    reply = await bot.say(user, "/code")
    assert monospace(reply) == [code_now(bot)]
    assert "amazon-us" in reply["text"]


async def test_admin_gets_code_in_approved_group_mentioning_them(bot: Bot) -> None:
    group = await setup_team(bot)
    reply = await bot.say(bot.people.admin, "/code", chat=group)
    assert monospace(reply) == [code_now(bot)]
    assert bot.people.admin.first_name in reply["text"]


async def test_code_refused_in_unapproved_group(bot: Bot) -> None:
    group = await setup_team(bot, approve_group=False)
    await bot.tg.add_bot_to_group(group, by=bot.people.member)  # a member is not an admin
    await bot.tg.next_message(group)  # "codes only after an admin sends /approve"
    for asker in (bot.people.member, bot.people.admin):
        reply = await bot.say(asker, "/code", chat=group)
        assert "An admin can allow it with /approve" in reply["text"]
        assert code_now(bot) not in reply["text"]
        assert "amazon-us" not in reply["text"]
        assert not buttons(reply)


@pytest.mark.parametrize("where", ["private", "group"])
@pytest.mark.parametrize("command", ["/code", "/code amazon-us", "/code ebay-de"])
async def test_stranger_is_told_they_are_not_a_member_and_their_id(
    bot: Bot, where: str, command: str
) -> None:
    group = await setup_team(bot)
    await add_account(bot, "ebay-de", OTHER_SECRET)
    chat = group if where == "group" else None
    reply = await bot.say(bot.people.stranger, command, chat=chat)
    assert "not a member" in reply["text"]
    assert str(bot.people.stranger.id) in monospace(reply)
    for revealing in ("amazon-us", "ebay-de", code_now(bot), code_now(bot, OTHER_SECRET)):
        if revealing not in command:
            assert revealing not in reply["text"]
    assert not buttons(reply)


async def test_account_name_is_case_insensitive(bot: Bot) -> None:
    await setup_team(bot)
    await add_account(bot, "ebay-de", OTHER_SECRET)
    reply = await bot.say(bot.people.member, "/code EBAY-De")
    assert monospace(reply) == [code_now(bot, OTHER_SECRET)]
    assert "ebay-de" in reply["text"]


async def test_unknown_account_name_is_refused(bot: Bot) -> None:
    await setup_team(bot)
    reply = await bot.say(bot.people.member, "/code nosuch")
    assert "nosuch" in reply["text"]
    assert "/accounts" in reply["text"]
    assert code_now(bot) not in reply["text"]
    assert not buttons(reply)


@pytest.mark.parametrize(
    "pasted",
    [SECRET, "jbsw-y3dp-ehpk-3pxp", f"otpauth://totp/Amazon:team?secret={SECRET}&issuer=Amazon"],
)
async def test_secret_pasted_after_code_is_never_repeated(bot: Bot, pasted: str) -> None:
    await setup_team(bot)
    reply = await bot.say(bot.people.member, f"/code {pasted}")
    assert "not an account name" in reply["text"]
    notice = await bot.tg.wait_for(
        "sendMessage",
        where=lambda c: c.params["chat_id"] == bot.people.admin.id and "🔔" in c.params["text"],
    )
    assert "denied (not an account name)" in notice.params["text"]
    log = await audit_lines(bot, 1)
    assert log[0].endswith("@mia asked for a code — refused: not an account name")
    for seen in (reply["text"], notice.params["text"], *log):
        for piece in (SECRET[:8], SECRET[-8:], "JBSW", "jbsw", "otpauth"):
            assert piece not in seen


async def test_member_is_not_told_of_accounts_not_granted_to_them(bot: Bot) -> None:
    await setup_team(bot)
    await add_account(bot, "ebay-de", OTHER_SECRET)
    await bot.say(bot.people.admin, f"/revoke {bot.people.member.id} ebay-de")
    reply = await bot.say(bot.people.member, "/code ebay-de")
    assert "no account named" in reply["text"]
    assert code_now(bot, OTHER_SECRET) not in reply["text"]


async def test_member_with_no_accounts_is_told_to_ask_an_admin(bot: Bot) -> None:
    p = bot.people
    await bot.say(p.owner, f"/promote {p.admin.id}")
    await bot.say(p.admin, f"/add {p.member.id}")  # before any account exists
    reply = await bot.say(p.member, "/code")
    assert reply["text"] == "You have no accounts yet. Ask an admin to grant you one."
    assert not buttons(reply)


@pytest.mark.parametrize("asked", ["/code", "/code amazon-us"])
async def test_owner_and_admin_with_no_accounts_are_told_how_to_add_one(
    bot: Bot, asked: str
) -> None:
    p = bot.people
    await bot.say(p.owner, f"/promote {p.admin.id}")
    group = bot.tg.group("Team")
    await bot.tg.add_bot_to_group(group, by=p.admin)
    await bot.tg.next_message(group)  # "approved"
    for who, where in ((p.owner, None), (p.admin, None), (p.admin, group)):
        reply = await ask(bot, who, asked, chat=where)
        told = reply["text"]
        assert told.startswith("There are no accounts yet."), (who.first_name, told)
        assert "/secret add NAME" in told
        assert "photo of the site's QR code" in told
        assert "Ask an admin" not in told
    p.owner.language_code = "zh-hans"  # her Telegram app is set to Chinese now
    assert "/secret add 账号名称" in (await ask(bot, p.owner, asked))["text"]


# ----------------------------------------------------------------- the picker


async def three_accounts(bot: Bot) -> FakeChat:
    """amazon-us, ebay-de and shopee-sg; the member may use amazon-us and ebay-de."""
    group = await setup_team(bot)
    await add_account(bot, "ebay-de", OTHER_SECRET)
    await add_account(bot, "shopee-sg", THIRD_SECRET)
    member = bot.people.member
    await bot.say(bot.people.admin, f"/revoke {member.id}")
    await bot.say(bot.people.admin, f"/add {member.id} amazon-us ebay-de")
    return group


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for b in buttons(message)]


async def test_picker_offers_only_the_accounts_the_user_may_use(bot: Bot) -> None:
    await three_accounts(bot)
    picker = await bot.say(bot.people.member, "/code")
    assert labels(picker) == ["amazon-us", "ebay-de"]
    assert not monospace(picker)
    admin_picker = await bot.say(bot.people.admin, "/code")
    assert labels(admin_picker) == ["amazon-us", "ebay-de", "shopee-sg"]


async def many_accounts(bot: Bot, count: int) -> list[str]:
    """`count` accounts beside amazon-us, added through the rules (as `/secret add` would,
    faster): shop-00, shop-01, …"""
    services = bot.app.bot_data["runtime"].services
    admin = Person(bot.people.admin.id, bot.people.admin.first_name)
    shops = [f"shop-{n:02d}" for n in range(count)]
    for name in shops:
        await asyncio.to_thread(services.vault.add, admin, name, pyotp.random_base32())
    return shops


def now_as(bot: Bot, message: dict[str, Any]) -> dict[str, Any]:
    """The message as it is now, edits applied."""
    live = bot.tg.chat(int(message["chat"]["id"])).get(int(message["message_id"]))
    assert live is not None
    return live


async def test_a_picker_of_many_accounts_comes_in_pages_of_twenty(bot: Bot) -> None:
    group = await setup_team(bot)
    shops = await many_accounts(bot, 45)
    admin = bot.people.admin
    picker = await bot.say(admin, "/code", chat=group)
    everything = ["amazon-us", *shops]
    assert labels(picker) == [*everything[:20], "More »"]
    assert "/code amazon" in picker["text"]
    await bot.tg.press(admin, picker, text="More »")
    await bot.tg.wait_for("editMessageText")
    assert labels(now_as(bot, picker)) == [*everything[20:40], "« Back", "More »"]
    await bot.tg.press(admin, picker, text="More »")
    await bot.tg.wait_for("editMessageText", where=lambda c: "shop-44" in str(c.params))
    assert labels(now_as(bot, picker)) == [*everything[40:], "« Back"]
    await bot.tg.press(admin, picker, text="shop-42")
    reply = await bot.tg.next_message(group)
    assert "shop-42" in reply["text"]
    assert bot.tg.violations == []


async def test_code_with_the_start_of_a_name_picks_among_those_accounts(bot: Bot) -> None:
    await setup_team(bot)
    await many_accounts(bot, 12)
    member = bot.people.member
    picker = await bot.say(member, "/code shop-1")
    assert labels(picker) == ["shop-10", "shop-11"]
    reply = await bot.say(member, "/code AMAZ")
    assert monospace(reply) == [code_now(bot)]


async def test_pressing_the_picker_gives_that_accounts_code(bot: Bot) -> None:
    await three_accounts(bot)
    member = bot.people.member
    picker = await bot.say(member, "/code")
    query = await bot.tg.press(member, picker, text="ebay-de")
    reply = await bot.tg.next_message(member)
    assert monospace(reply) == [code_now(bot, OTHER_SECRET)]
    assert "ebay-de" in reply["text"]
    assert "show_alert" not in await answered_once(bot, query)


async def test_member_pressing_another_members_picker_in_group_gets_code_for_them(
    bot: Bot,
) -> None:
    group = await three_accounts(bot)
    colleague = bot.tg.user("Carl", last_name="Colleague")
    await bot.say(bot.people.admin, f"/add {colleague.id}")
    picker = await bot.say(bot.people.member, "/code", chat=group)
    query = await bot.tg.press(colleague, picker, text="ebay-de")
    reply = await bot.tg.next_message(group)
    assert monospace(reply) == [code_now(bot, OTHER_SECRET)]
    assert "Carl Colleague" in reply["text"]
    assert bot.people.member.first_name not in reply["text"]
    await answered_once(bot, query)


async def test_stranger_pressing_a_members_picker_gets_no_code(bot: Bot) -> None:
    group = await three_accounts(bot)
    picker = await bot.say(bot.people.member, "/code", chat=group)
    query = await bot.tg.press(bot.people.stranger, picker, text="amazon-us")
    answer = await answered_once(bot, query)
    assert answer["show_alert"] is True
    assert "not a member" in answer["text"]
    assert from_bot(bot, group)[-1]["message_id"] == picker["message_id"]
    assert all(code_now(bot) not in m.get("text", "") for m in from_bot(bot, group))


async def test_member_pressing_a_button_for_an_account_not_granted_gets_nothing(
    bot: Bot,
) -> None:
    group = await three_accounts(bot)
    picker = await bot.say(bot.people.admin, "/code", chat=group)
    query = await bot.tg.press(bot.people.member, picker, text="shopee-sg")
    answer = await answered_once(bot, query)
    assert answer["show_alert"] is True
    assert "not available to you" in answer["text"]
    assert from_bot(bot, group)[-1]["message_id"] == picker["message_id"]


async def test_revoked_member_cannot_use_old_button(bot: Bot) -> None:
    await three_accounts(bot)
    member = bot.people.member
    picker = await bot.say(member, "/code")
    await bot.say(bot.people.admin, f"/revoke {member.id}")
    query = await bot.tg.press(member, picker, text="amazon-us")
    answer = await answered_once(bot, query)
    assert answer["show_alert"] is True
    assert "not a member" in answer["text"]
    assert from_bot(bot, member)[-1]["message_id"] == picker["message_id"]


async def test_button_of_a_removed_account_gets_nothing(bot: Bot) -> None:
    await three_accounts(bot)
    admin = bot.people.admin
    picker = await bot.say(admin, "/code")
    confirm = await bot.say(admin, "/secret remove shopee-sg")
    query = await bot.tg.press(admin, confirm, data=buttons(confirm)[0]["callback_data"])
    await answered_once(bot, query)
    query = await bot.tg.press(admin, picker, text="shopee-sg")
    answer = await answered_once(bot, query)
    assert answer["show_alert"] is True
    assert from_bot(bot, admin)[-1]["message_id"] == confirm["message_id"]


# ------------------------------------------------------------- the reply itself


async def test_code_reply_shows_code_account_and_seconds_left(bot: Bot) -> None:
    await setup_team(bot)
    reply = await bot.say(bot.people.member, "/code")  # 5 s into a 30 s window
    code = code_now(bot)
    assert monospace(reply) == [code]
    assert "amazon-us" in reply["text"]
    assert "Valid for 25 s" in reply["text"]
    assert "Next" not in reply["text"]
    assert [b["copy_text"]["text"] for b in buttons(reply)] == [code]
    assert reply["protect_content"] is True
    assert reply["has_protected_content"] is True


async def test_code_reply_near_window_end_also_shows_next_code(bot: Bot) -> None:
    await setup_team(bot)
    bot.clock.advance(16)  # 21 s into the window: 9 s left
    reply = await bot.say(bot.people.member, "/code")
    code, following = code_now(bot), code_now(bot, later=30)
    assert code != following
    assert monospace(reply) == [code, following]
    assert "Valid for 9 s" in reply["text"]
    assert "valid in 9 s" in reply["text"]
    assert [b["copy_text"]["text"] for b in buttons(reply)] == [code, following]
    assert reply["protect_content"] is True


async def test_code_reply_at_ten_seconds_left_shows_no_next_code(bot: Bot) -> None:
    await setup_team(bot)
    bot.clock.advance(15)  # 10 s left
    reply = await bot.say(bot.people.member, "/code")
    assert monospace(reply) == [code_now(bot)]
    assert "Valid for 10 s" in reply["text"]


async def test_code_reply_follows_the_accounts_own_period_and_digits(bot: Bot) -> None:
    await setup_team(bot)
    uri = f"otpauth://totp/Slow:team?secret={THIRD_SECRET}&issuer=Slow&period=60&digits=8"
    await add_account(bot, "slow", uri)
    reply = await bot.say(bot.people.member, "/code slow")  # 5 s into a 60 s window
    expected = pyotp.TOTP(THIRD_SECRET, digits=8, interval=60).at(bot.clock.now)
    assert monospace(reply) == [expected]
    assert "Valid for 55 s" in reply["text"]


async def test_code_reply_in_chinese(bot: Bot) -> None:
    await setup_team(bot)
    wang = bot.tg.user("王芳", language_code="zh-hans")
    await bot.say(bot.people.admin, f"/add {wang.id}")
    reply = await bot.say(wang, "/code")
    assert monospace(reply) == [code_now(bot)]
    assert "有效期还剩 25 秒" in reply["text"]


async def test_code_follows_the_clock(bot: Bot) -> None:
    await setup_team(bot)
    first = await bot.say(bot.people.member, "/code")
    bot.clock.advance(30)
    second = await bot.say(bot.people.member, "/code")
    assert monospace(first) != monospace(second)
    assert monospace(second) == [code_now(bot)]


# ------------------------------------------------------------------- deletion


async def test_code_message_is_deleted_when_its_code_expires(bot: Bot) -> None:
    group = await setup_team(bot)
    member = bot.people.member
    private = await bot.say(member, "/code")  # valid for 25 s
    in_group = await bot.say(member, "/code", chat=group)
    bot.clock.advance(24)
    await sweep_done(bot)
    assert not bot.tg.is_deleted(member, private["message_id"])
    assert not bot.tg.is_deleted(group, in_group["message_id"])
    bot.clock.advance(2)
    for chat, message in ((member, private), (group, in_group)):
        call = await bot.tg.wait_for("deleteMessage", where=deletion_of(chat, message))
        assert call.ok
        assert bot.tg.is_deleted(chat, message["message_id"])


async def test_a_sweep_slower_than_its_interval_is_not_started_twice_or_skipped_loudly(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """Under load a look at the due list can outlast the half second between looks:
    APScheduler then logged "maximum number of running instances reached" at every tick."""
    await setup_team(bot)
    member = bot.people.member
    reply = await bot.say(member, "/code")
    bot.tg.delay("deleteMessage", 0.6)  # a dozen sweep intervals
    bot.clock.advance(26)
    await bot.tg.wait_for("deleteMessage", where=deletion_of(member, reply))
    await sweep_done(bot)
    assert bot.tg.is_deleted(member, reply["message_id"])
    warned = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("apscheduler") and r.levelno >= logging.WARNING
    ]
    assert warned == []


async def test_code_message_showing_next_code_lives_until_the_next_window_ends(
    bot: Bot,
) -> None:
    await setup_team(bot)
    member = bot.people.member
    bot.clock.advance(16)
    reply = await bot.say(member, "/code")  # 9 s left, then the next code for 30 s
    bot.clock.advance(10)  # the first code is dead, the next one is live
    await sweep_done(bot)
    assert not bot.tg.is_deleted(member, reply["message_id"])
    bot.clock.advance(30)
    await bot.tg.wait_for("deleteMessage", where=deletion_of(member, reply))
    assert bot.tg.is_deleted(member, reply["message_id"])


async def test_code_ttl_deletes_that_many_seconds_after_expiry(start_bot: Any) -> None:
    bot: Bot = await start_bot({"TEAMOTP_CODE_TTL": "5"})
    await setup_team(bot)
    member = bot.people.member
    reply = await bot.say(member, "/code")  # valid for 25 s
    bot.clock.advance(28)  # expired 3 s ago
    await sweep_done(bot)
    assert not bot.tg.is_deleted(member, reply["message_id"])
    bot.clock.advance(3)
    await bot.tg.wait_for("deleteMessage", where=deletion_of(member, reply))
    assert bot.tg.is_deleted(member, reply["message_id"])


async def test_code_ttl_minus_one_keeps_code_messages(start_bot: Any) -> None:
    bot: Bot = await start_bot({"TEAMOTP_CODE_TTL": "-1"})
    group = await setup_team(bot)
    member = bot.people.member
    private = await bot.say(member, "/code")
    in_group = await bot.say(member, "/code", chat=group)
    bot.clock.advance(3 * 24 * 3600)
    await sweep_done(bot)
    await bot.settle()
    assert not bot.tg.is_deleted(member, private["message_id"])
    assert not bot.tg.is_deleted(group, in_group["message_id"])
    deletions = [c.params for c in bot.tg.calls("deleteMessage")]
    assert all(d["chat_id"] not in (member.id, group.id) for d in deletions)


async def test_deletion_promised_before_a_restart_is_kept(start_bot: Any) -> None:
    first: Bot = await start_bot()
    await setup_team(first)
    member = first.people.member
    reply = await first.say(member, "/code")
    await stop(first)
    first.clock.advance(60)
    second: Bot = await start_bot()
    await second.tg.wait_for("deleteMessage", where=deletion_of(member, reply))
    assert second.tg.is_deleted(member, reply["message_id"])
    answer = await second.say(member, "/code")  # and the restarted bot serves codes
    assert monospace(answer) == [code_now(second)]


# ------------------------------------------------------------------ the record


async def audit_lines(bot: Bot, count: int) -> list[str]:
    """The last `count` audit entries, as an admin reads them with /audit."""
    admin = bot.people.admin
    await bot.tg.send(admin, bot.tg.private(admin), f"/audit {count}")
    while True:  # notifications of the requests may arrive first
        message = await bot.tg.next_message(admin)
        if message["text"].startswith(f"Last {count} events"):
            return message["text"].splitlines()[1:]


async def test_code_requests_are_written_to_the_audit_log(bot: Bot) -> None:
    group = await setup_team(bot)
    await add_account(bot, "ebay-de", OTHER_SECRET)
    p = bot.people
    picker = await bot.say(p.member, "/code", chat=group)
    await bot.tg.press(p.member, picker, text="ebay-de")
    await bot.tg.next_message(group)
    await bot.tg.press(p.stranger, picker, text="amazon-us")
    await bot.settle()  # chats are handled at once: the rows would come in either order
    await bot.say(p.member, "/code nosuch")
    bot.clock.advance(REPEAT_WINDOW + 1)  # the stranger's next refusal is not a repeat of this one
    await bot.say(p.stranger, "/code")
    side = bot.tg.group("Side")
    await bot.tg.add_bot_to_group(side, by=p.member)
    await bot.tg.next_message(side)
    await bot.say(p.member, "/code amazon-us", chat=side)
    lines = [line for line in await audit_lines(bot, 10) if "asked for a code" in line]
    assert [line.split(" ", 2)[2] for line in reversed(lines)] == [
        "@mia asked for a code: ebay-de — granted",
        "@sam asked for a code: amazon-us — refused: not a member",  # the button asked for it
        "@mia asked for a code: nosuch — refused: no such account for them",
        "@sam asked for a code — refused: not a member",
        "@mia asked for a code: amazon-us — refused: group not approved",
    ]
