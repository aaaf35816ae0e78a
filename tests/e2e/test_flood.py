"""Strangers can't slow the team down (issue 7): updates of different chats are handled at
once and those of one chat in order; flood control holds up only the chat it concerns;
strangers get a few answers, then silence; members get codes at a set rate; refusals reach
the admins as one digest a minute and the audit log as one counted row."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pyotp
import pytest
from telegram.warnings import PTBDeprecationWarning

from bot.chat.coalescing import GRANTED_ALONE
from bot.chat.flood import TIMEDELTA_SWITCH
from bot.rules.auditlog import REPEAT_WINDOW
from bot.rules.limits import (
    DEFAULT_CODES_PER_MINUTE,
    GROUP_STRANGER_REPLIES,
    GROUP_WINDOW,
    STRANGER_REPLIES,
    STRANGER_WINDOW,
)
from bot.rules.model import Person, Target
from tests.e2e.conftest import SECRET, Bot, ask, bot_messages, setup_team
from tests.e2e.test_codes import stop
from tests.e2e.test_intake import qr_png
from tests.fake_telegram import FakeChat, FakeUser

NOT_APPROVED = "Hello! Codes are not shown here until an admin of the team sends /approve."
TOLD_NOT_APPROVED = (
    "This group is not approved for codes: an admin of the team can allow it with /approve. "
    "Until then I stay quiet here."
)
NOT_A_MEMBER = "You are not a member."
BELL = "🔔"


def code_now(bot: Bot) -> str:
    return pyotp.TOTP(SECRET).at(bot.clock.now)


def said(bot: Bot, chat: FakeChat | FakeUser) -> list[str]:
    return [m.get("text", "") for m in bot_messages(bot, chat)]


async def shown(bot: Bot, chat: FakeChat | FakeUser, part: str, *, within: float) -> str:
    """The first message the bot has shown in `chat` containing `part`, once it is there
    (retries after flood control included), at most `within` seconds from now."""
    async with asyncio.timeout(within):
        while True:
            for text in said(bot, chat):
                if part in text:
                    return text
            await asyncio.sleep(0.02)


def notices_about(bot: Bot, reader: FakeUser, *people: FakeUser) -> list[str]:
    """The notices `reader` got that name any of `people`."""
    return [
        text
        for text in said(bot, reader)
        if text.startswith(BELL) and any(f"({p.id})" in text for p in people)
    ]


async def audit(bot: Bot, args: str = "") -> str:
    owner = bot.people.owner
    await bot.settle()
    return str((await ask(bot, owner, f"/audit {args}".strip()))["text"])


# ------------------------------------------------------- concurrency across chats


async def test_a_code_is_answered_while_a_reply_in_another_chat_hangs(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    release = bot.tg.hang("sendMessage", where=lambda params: params["chat_id"] == p.stranger.id)
    try:
        await bot.tg.send(p.stranger, bot.tg.private(p.stranger), "/start")
        stuck = await bot.tg.wait_for(
            "sendMessage", where=lambda c: c.params["chat_id"] == p.stranger.id
        )
        await bot.tg.send(p.member, bot.tg.private(p.member), "/code")
        assert code_now(bot) in await shown(bot, p.member, "🔑", within=5)
        assert stuck.response is None
    finally:
        release.set()
    assert (await stuck.finished()).ok


async def test_messages_of_one_chat_are_answered_in_the_order_sent(bot: Bot) -> None:
    await setup_team(bot)
    member = bot.people.member
    chat = bot.tg.private(member)
    release = bot.tg.hang(
        "sendMessage",
        where=lambda params: params["chat_id"] == member.id and "🔑" in params["text"],
    )
    try:
        await bot.tg.send(member, chat, "/code")
        await bot.tg.wait_for("sendMessage", where=lambda c: "🔑" in c.params["text"])
        await bot.tg.send(member, chat, "/accounts")
        await asyncio.sleep(0.3)  # time enough to answer /accounts, if it did not wait its turn
        assert not any("Your accounts" in text for text in said(bot, member))
    finally:
        release.set()
    await bot.settle()
    answers = [text for text in said(bot, member) if "🔑" in text or "Your accounts" in text]
    assert len(answers) == 2
    assert "🔑" in answers[0]
    assert "Your accounts" in answers[1]


async def test_flood_control_in_one_chat_holds_up_only_that_chat(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    bot.tg.fail(
        "sendMessage",
        status=429,
        retry_after=3,
        where=lambda params: params["chat_id"] == p.stranger.id,
    )
    await bot.tg.send(p.stranger, bot.tg.private(p.stranger), "/start")
    refused = await bot.tg.wait_for(
        "sendMessage", where=lambda c: c.params["chat_id"] == p.stranger.id
    )
    assert refused.status == 429
    assert code_now(bot) in (await ask(bot, p.member, "/code"))["text"]
    assert "Your Telegram id" in await shown(bot, p.stranger, "Your Telegram id", within=10)
    to = [c.params["chat_id"] for c in bot.tg.calls("sendMessage") if c.ok]
    # The member's code went out while the stranger's reply waited for its retry.
    assert to.index(p.member.id) < to.index(p.stranger.id)


async def test_flood_control_uses_nothing_ptb_has_deprecated(
    start_bot: Any, monkeypatch: pytest.MonkeyPatch, recwarn: pytest.WarningsRecorder
) -> None:
    # A process started without PTB's switch: the bot turns it on itself.
    monkeypatch.delenv(TIMEDELTA_SWITCH, raising=False)
    bot: Bot = await start_bot()
    await setup_team(bot)
    member = bot.people.member
    bot.tg.fail("sendMessage", status=429, retry_after=1, where=lambda p: p["chat_id"] == member.id)
    assert code_now(bot) in (await ask(bot, member, "/code"))["text"]
    refused = [c for c in bot.tg.calls("sendMessage") if c.params["chat_id"] == member.id]
    assert [c.status for c in refused] == [429, 200]
    deprecated = [str(w.message) for w in recwarn if issubclass(w.category, PTBDeprecationWarning)]
    assert deprecated == []


# ---------------------------------------------------------------------- strangers


async def test_a_stranger_gets_a_few_replies_then_silence(bot: Bot) -> None:
    await setup_team(bot)
    sam = bot.people.stranger
    for command in ["/start", "/code", "/help", "/members"] * STRANGER_REPLIES:
        await bot.tg.send(sam, bot.tg.private(sam), command)
    await bot.settle()
    assert len(said(bot, sam)) == STRANGER_REPLIES
    bot.clock.advance(STRANGER_WINDOW)
    assert "Your Telegram id" in (await bot.say(sam, "/start"))["text"]


async def test_a_stranger_sending_unknown_commands_gets_no_more_than_for_known_ones(
    bot: Bot,
) -> None:
    group = await setup_team(bot)
    sam = bot.people.stranger
    addressed = f"/foo@{bot.tg.bot.username}"
    for command in ["/foo", addressed, "/start", "/nope x"] * STRANGER_REPLIES:
        await bot.tg.send(sam, bot.tg.private(sam), command)
    await bot.settle()
    assert len(said(bot, sam)) == STRANGER_REPLIES
    assert "/help" in said(bot, sam)[0]
    crowd = [bot.tg.user(f"visitor{n}") for n in range(GROUP_STRANGER_REPLIES + 3)]
    before = len(said(bot, group))
    for visitor in crowd:
        await bot.tg.send(visitor, group, addressed)
        await bot.tg.send(visitor, group, "/foo")  # another bot's: never answered
    await bot.settle()
    assert len(said(bot, group)) - before == GROUP_STRANGER_REPLIES


async def test_a_strangers_silence_holds_across_a_restart(start_bot: Any) -> None:
    first: Bot = await start_bot()
    sam = first.people.stranger
    for _ in range(STRANGER_REPLIES):
        await first.say(sam, "/start")
    await stop(first)
    second: Bot = await start_bot()
    await second.tg.send(sam, second.tg.private(sam), "/start")
    await second.settle()
    assert len(said(second, sam)) == STRANGER_REPLIES


async def test_strangers_get_only_a_few_replies_in_one_group_all_told(bot: Bot) -> None:
    group = await setup_team(bot)
    crowd = [bot.tg.user(f"visitor{n}") for n in range(GROUP_STRANGER_REPLIES + 3)]
    for visitor in crowd:
        await bot.tg.send(visitor, group, "/code")
    await bot.settle()
    assert len([t for t in said(bot, group) if NOT_A_MEMBER in t]) == GROUP_STRANGER_REPLIES
    bot.clock.advance(GROUP_WINDOW)  # a minute later, the next one is answered
    await bot.tg.send(crowd[-1], group, "/code")
    await bot.tg.send(bot.people.member, group, "/code")  # the team always is
    await bot.settle()
    assert len([t for t in said(bot, group) if NOT_A_MEMBER in t]) == GROUP_STRANGER_REPLIES + 1
    assert code_now(bot) in await shown(bot, group, "🔑", within=5)


async def test_a_group_nobody_approved_hears_once_that_it_is_not(bot: Bot) -> None:
    await setup_team(bot, approve_group=False)
    p = bot.people
    den = bot.tg.group("Den")
    await bot.tg.add_bot_to_group(den, by=p.stranger)
    await bot.tg.next_message(den)  # "codes only after an admin sends /approve"
    crowd = [p.stranger, *(bot.tg.user(f"crony{n}") for n in range(3))]
    for visitor in crowd:
        for command in ("/start", "/code", "/members", "/help"):
            await bot.tg.send(visitor, den, command)
    await bot.tg.remove_bot_from_group(den, by=p.stranger)
    await bot.tg.add_bot_to_group(den, by=p.stranger)  # added again: not said again
    await bot.tg.send(p.stranger, den, "/start")
    await bot.settle()
    assert said(bot, den) == [NOT_APPROVED]
    # The team is still answered there.
    refused = await ask(bot, p.member, "/code", chat=den)
    assert refused["text"].startswith("Codes are not shown in this group")
    # Once an admin approves it, strangers are answered again (a few times).
    assert "approved" in (await ask(bot, p.admin, "/approve", chat=den))["text"]
    assert (await bot.say(crowd[1], "/code", chat=den))["text"].startswith(NOT_A_MEMBER)
    # And stopping codes there makes it quiet for strangers again.
    await ask(bot, p.admin, "/unapprove", chat=den)
    before = said(bot, den)
    await bot.tg.send(crowd[2], den, "/start")
    await bot.settle()
    assert said(bot, den) == before


async def test_an_unapproved_group_that_was_never_told_is_told_once(bot: Bot) -> None:
    await setup_team(bot, approve_group=False)
    p = bot.people
    lobby = bot.tg.group("Lobby")
    await bot.tg.add_bot_to_group(lobby, by=p.stranger)
    await bot.tg.next_message(lobby)  # "codes only after an admin sends /approve"
    supergroup = await bot.tg.migrate_to_supergroup(lobby)  # a new chat id, told nothing yet
    for visitor in (p.stranger, bot.tg.user("crony")):
        for command in ("/start", "/code"):
            await bot.tg.send(visitor, supergroup, command)
    await bot.settle()
    assert said(bot, supergroup) == [TOLD_NOT_APPROVED]


async def test_another_bots_command_in_an_unapproved_group_gets_no_word(bot: Bot) -> None:
    await setup_team(bot, approve_group=False)
    p = bot.people
    lobby = bot.tg.group("Lobby")
    await bot.tg.add_bot_to_group(lobby, by=p.stranger)
    await bot.tg.next_message(lobby)  # "codes only after an admin sends /approve"
    supergroup = await bot.tg.migrate_to_supergroup(lobby)  # a new chat id, told nothing yet
    for visitor in (p.stranger, bot.tg.user("crony")):
        await bot.tg.send(visitor, supergroup, "/weather London")
    await bot.settle()
    assert said(bot, supergroup) == []
    await bot.tg.send(p.stranger, supergroup, f"/weather@{bot.tg.bot.username}")
    await bot.settle()
    assert said(bot, supergroup) == [TOLD_NOT_APPROVED]


async def test_a_silenced_stranger_is_still_audited_and_told_to_the_admins(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    sam = p.stranger
    tries = STRANGER_REPLIES + 4
    for _ in range(tries):
        await bot.tg.send(sam, bot.tg.private(sam), "/code")
    await bot.tg.send(sam, bot.tg.private(sam), "/members")
    await bot.settle()
    assert len(said(bot, sam)) == STRANGER_REPLIES
    log = await audit(bot, "5")
    assert f"@sam asked for a code — refused: not a member (×{tries})" in log
    assert "@sam used /members — refused: not a member" in log
    bot.clock.advance(60)
    digest = await shown(bot, p.admin, "×", within=5)
    assert f"sam @sam ({sam.id})" in digest


async def test_a_silenced_strangers_secret_is_deleted_without_a_word(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    shop = bot.tg.group("Shop", bot_is_admin=True)
    await bot.tg.add_bot_to_group(shop, by=p.admin)
    await bot.tg.next_message(shop)  # "approved"
    sam = p.stranger
    for _ in range(STRANGER_REPLIES):
        await bot.say(sam, "/start")
    posted = await bot.tg.send(sam, shop, f"/secret add shop {SECRET}")
    await bot.settle()
    assert bot.tg.is_deleted(shop, posted["message_id"])
    assert len(said(bot, shop)) == 1  # only "approved": no warning, no reply


async def test_a_silenced_strangers_image_is_deleted_without_a_word(bot: Bot) -> None:
    await setup_team(bot)
    sam = bot.people.stranger
    for _ in range(STRANGER_REPLIES):
        await bot.say(sam, "/start")
    sent = await bot.tg.send_photo(
        sam, bot.tg.private(sam), qr_png(f"otpauth://totp/x?secret={SECRET}")
    )
    await bot.settle()
    assert bot.tg.is_deleted(bot.tg.private(sam), sent["message_id"])
    assert len(said(bot, sam)) == STRANGER_REPLIES


# ------------------------------------------------------------------------ members


async def test_a_member_gets_six_codes_a_minute_then_is_told_when_to_try_again(bot: Bot) -> None:
    await setup_team(bot)
    member = bot.people.member
    for _ in range(DEFAULT_CODES_PER_MINUTE):
        assert code_now(bot) in (await ask(bot, member, "/code"))["text"]
    refused = await ask(bot, member, "/code")
    assert refused["text"] == "Too many codes in a short time. Try again in 60 s."
    bot.clock.advance(20)
    again = await ask(bot, member, "/code")
    assert again["text"] == "Too many codes in a short time. Try again in 40 s."
    bot.clock.advance(40)
    assert code_now(bot) in (await ask(bot, member, "/code"))["text"]
    assert "too many requests" in await audit(bot, "denied")


async def test_the_code_limit_is_configurable_and_holds_across_a_restart(start_bot: Any) -> None:
    first: Bot = await start_bot({"TEAMOTP_CODES_PER_MINUTE": "2"})
    group = await setup_team(first)
    member = first.people.member
    assert code_now(first) in (await ask(first, member, "/code"))["text"]
    assert code_now(first) in (await ask(first, member, "/code", chat=group))["text"]
    assert "Try again in 60 s" in (await ask(first, member, "/code"))["text"]
    await stop(first)
    second: Bot = await start_bot({"TEAMOTP_CODES_PER_MINUTE": "2"})
    assert "Try again in 60 s" in (await ask(second, member, "/code"))["text"]


async def test_a_code_limit_of_zero_means_none(start_bot: Any) -> None:
    bot: Bot = await start_bot({"TEAMOTP_CODES_PER_MINUTE": "0"})
    await setup_team(bot)
    for _ in range(DEFAULT_CODES_PER_MINUTE + 2):
        assert code_now(bot) in (await ask(bot, bot.people.member, "/code"))["text"]


# ------------------------------------------------------------------------ notices


async def test_refused_requests_reach_each_admin_at_most_once_a_minute(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    intruders = [bot.tg.user(f"intruder{n}") for n in range(3)]
    for intruder in intruders:
        for _ in range(4):
            await bot.tg.send(intruder, bot.tg.private(intruder), "/code")
    await bot.settle()
    for admin in (p.owner, p.admin):
        first = await shown(bot, admin, "denied (not a member)", within=5)
        told = [i for i in intruders if f"({i.id})" in first]  # chats run at once: any one
        assert len(told) == 1
        await asyncio.sleep(0.3)  # several digest ticks: nothing more within the minute
        assert len(notices_about(bot, admin, *intruders)) == 1
    bot.clock.advance(60)
    for admin in (p.owner, p.admin):
        digest = await shown(bot, admin, "Code requests of the last minute", within=5)
        for intruder in intruders:
            times = 3 if intruder in told else 4  # the first was told alone
            assert (
                f"⛔ denied (not a member) ×{times}: {intruder.first_name} "
                f"@{intruder.username} ({intruder.id}), account —, private chat"
            ) in digest
    await asyncio.sleep(0.3)
    assert len(notices_about(bot, p.owner, *intruders)) == 2


async def test_granted_requests_are_told_one_by_one_up_to_a_few_a_minute(
    start_bot: Any,
) -> None:
    bot: Bot = await start_bot({"TEAMOTP_CODES_PER_MINUTE": "20"})
    await setup_team(bot)
    p = bot.people
    for _ in range(GRANTED_ALONE + 2):
        await ask(bot, p.member, "/code")
    await bot.settle()
    await asyncio.sleep(0.3)
    alone = [t for t in notices_about(bot, p.owner, p.member) if "Code request: ✅ granted" in t]
    assert len(alone) == GRANTED_ALONE
    assert len(notices_about(bot, p.owner, p.member)) == GRANTED_ALONE
    bot.clock.advance(60)
    digest = await shown(bot, p.owner, "Code requests of the last minute", within=5)
    assert "✅ granted ×2: mia @mia" in digest
    assert "account amazon-us, private chat" in digest


# -------------------------------------------------------------------------- audit


async def test_repeated_refusals_are_one_audit_row_and_cannot_bury_admin_actions(
    bot: Bot,
) -> None:
    group = await setup_team(bot)
    p = bot.people
    for n in range(30):
        await bot.tg.send(p.stranger, group if n % 2 else bot.tg.private(p.stranger), "/code")
    log = await audit(bot, "5")
    assert "@sam asked for a code — refused: not a member (×30)" in log
    assert f"@adam added {p.member.id} (all accounts)" in log  # still among the last 5
    bot.clock.advance(REPEAT_WINDOW + 1)  # later refusals start a row of their own
    await bot.tg.send(p.stranger, bot.tg.private(p.stranger), "/code")
    log = await audit(bot, "50")
    assert log.count("@sam asked for a code") == 2


async def test_audit_can_show_only_admin_actions_refusals_or_one_person(bot: Bot) -> None:
    group = await setup_team(bot)
    p = bot.people
    await ask(bot, p.member, "/code", chat=group)
    await bot.tg.send(p.stranger, bot.tg.private(p.stranger), "/code")
    await bot.tg.send(p.stranger, bot.tg.private(p.stranger), "/members")
    await ask(bot, p.member, "/code nosuch")

    admin_only = await audit(bot, "admin")
    assert "@adam added account amazon-us" in admin_only
    assert "@adam added the bot to group" in admin_only
    assert "asked for a code" not in admin_only
    assert "read the last" not in admin_only

    denied = (await audit(bot, "50 denied")).splitlines()[1:]
    assert denied
    assert all("refused" in line for line in denied)
    assert any("@sam used /members" in line for line in denied)
    assert any("@mia asked for a code: nosuch" in line for line in denied)

    sams = (await audit(bot, "@sam")).splitlines()[1:]
    assert len(sams) == 2
    assert all("@sam" in line for line in sams)

    both = (await audit(bot, "denied @MIA 5")).splitlines()[1:]  # any order, any case
    assert [line.split(" ", 2)[2] for line in both] == [
        "@mia asked for a code: nosuch — refused: no such account for them"
    ]


async def test_audit_refuses_unknown_people_and_bad_filters_without_echoing(bot: Bot) -> None:
    await setup_team(bot)
    unknown = await audit(bot, "@nobody_here")
    assert unknown == "I have not seen anyone with that username."
    for args in ("admin admin", "5 6", "everything", "@", "@sam @mia", "@no-such", "0", "101"):
        usage = await audit(bot, args)
        assert usage.startswith("Usage: /audit [N] [admin] [denied] [@user]"), args
        assert "everything" not in usage


# ---------------------------------------------------------------- the whole flood


async def test_a_flood_from_strangers_does_not_slow_the_team_down(bot: Bot) -> None:
    """Three strangers send 50 commands each in a burst, in a group of their own, in private
    and in the team's group, with Telegram's flood control on; meanwhile a member's /code is
    answered within 5 s in private and in the team's group, and the owner hears of the burst
    in at most 3 messages."""
    bot.tg.flood_control = True
    team = await setup_team(bot)
    p = bot.people
    strangers = [bot.tg.user(name) for name in ("eve", "mallory", "trudy")]
    den = bot.tg.group("Den")
    await bot.tg.add_bot_to_group(den, by=strangers[0])
    commands = (
        "/code",
        "/start",
        "/code amazon-us",
        "/members",
        "/help",
        "/secret list",
        f"/nope@{bot.tg.bot.username}",
    )
    places: list[FakeChat | FakeUser] = [den, team]

    async def burst(count: int) -> None:
        for n in range(count):
            for stranger in strangers:
                for place in (*places, stranger):
                    await bot.tg.send(stranger, place, commands[n % len(commands)])

    await burst(25)
    for where in (p.member, team):
        asked = time.monotonic()
        await bot.tg.send(p.member, where, "/code")
        assert code_now(bot) in await shown(bot, where, "🔑", within=5)
        assert time.monotonic() - asked < 5
    await burst(25)
    await bot.settle(timeout=60)

    assert said(bot, den) == [NOT_APPROVED]
    to_strangers = [t for t in said(bot, team) if "not a member" in t]
    assert len(to_strangers) <= GROUP_STRANGER_REPLIES
    for stranger in strangers:
        assert len(said(bot, stranger)) <= STRANGER_REPLIES
    bot.clock.advance(60)  # the digest of the minute
    await shown(bot, p.owner, "Code requests of the last minute", within=10)
    await asyncio.sleep(0.5)
    assert 1 <= len(notices_about(bot, p.owner, *strangers)) <= 3


async def test_a_burst_of_codes_from_many_chats_keeps_to_telegrams_overall_pace(bot: Bot) -> None:
    """Forty members ask at once, each in private: more than Telegram takes in a second
    from one bot. Every one gets their code, and no reply meets Telegram's refusal."""
    bot.tg.flood_control = True
    await setup_team(bot)
    services = bot.app.bot_data["runtime"].services
    admin = Person(bot.people.admin.id, bot.people.admin.first_name)
    members = [bot.tg.user(f"member{n}") for n in range(40)]
    for member in members:
        await asyncio.to_thread(services.roster.add, admin, Target(user_id=member.id), [])
    for member in members:
        await bot.tg.send(member, bot.tg.private(member), "/code")
    for member in members:
        reply = await bot.tg.next_message(bot.tg.private(member), timeout=20)
        assert code_now(bot) in reply["text"]
    to_members = {member.id for member in members}
    refused = [
        c
        for c in bot.tg.calls("sendMessage")
        if c.params.get("chat_id") in to_members and c.status == 429
    ]
    assert refused == []
