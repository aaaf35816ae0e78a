"""Approval per account (`/policy NAME approval admin`): a member's code request gives a
one-line reason (inline, or when asked, in private or by a reply in a group), every admin
with notifications on is asked with Approve / Approve for 1 h / Deny, the first decision
wins and every admin's message shows who decided, and the requester gets the current code
or the denial. Unanswered requests expire after 5 minutes; a restart changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pyotp

from bot.rules.holds import REQUEST_LIFETIME, STANDING_SECONDS
from tests.e2e.conftest import SECRET, Bot, ask, bot_messages, setup_team
from tests.e2e.test_codes import stop
from tests.fake_telegram import FakeChat, FakeUser

REASON = "weekly sales report"
ASKED = "Code request waiting for approval"
HELD = "Asked the admins for the amazon-us code"
EXPIRED_BUTTON = "This button has expired."
APPROVE, APPROVE_HOUR, DENY = "✅ Approve", "✅ Approve for 1 h", "⛔ Deny"


def amazon_code(bot: Bot) -> str:
    return pyotp.TOTP(SECRET).at(bot.clock.now)


async def approval_team(bot: Bot) -> FakeChat:
    group = await setup_team(bot)
    shown = await ask(bot, bot.people.admin, "/policy amazon-us approval admin")
    assert "an admin approves" in shown["text"]
    return group


async def asked(bot: Bot, admin: FakeUser) -> dict[str, Any]:
    """The next request `admin` is asked to decide (notices of other requests skipped)."""
    while True:
        message = await bot.tg.next_message(bot.tg.private(admin))
        if ASKED in message.get("text", ""):
            return message


def live(bot: Bot, message: dict[str, Any]) -> dict[str, Any]:
    """The message as it is now, edits applied."""
    (now,) = [
        m
        for m in bot.tg.messages(message["chat"]["id"])
        if m["message_id"] == message["message_id"]
    ]
    return now


def labels(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


def said_since(bot: Bot, chat: Any, message: dict[str, Any]) -> list[str]:
    """What the bot said in `chat` after `message`, and has not deleted."""
    return [
        m.get("text", "")
        for m in bot_messages(bot, chat)
        if m["message_id"] > message["message_id"]
    ]


async def held_in_private(bot: Bot) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The member asks with a reason; what they were told, and what owner and admin were asked."""
    p = bot.people
    told = await ask(bot, p.member, f"/code amazon-us {REASON}")
    assert HELD in told["text"]
    return told, await asked(bot, p.owner), await asked(bot, p.admin)


# ------------------------------------------------------------- asking, approving


async def test_a_reason_given_inline_reaches_every_admin_and_approval_delivers_the_current_code(
    bot: Bot,
) -> None:
    p, tg = bot.people, bot.tg
    await approval_team(bot)
    told, to_owner, to_admin = await held_in_private(bot)
    assert "You get it in your private chat with me" in told["text"]
    assert amazon_code(bot) not in told["text"]
    for request in (to_owner, to_admin):
        assert "Who: mia @mia" in request["text"]
        assert str(p.member.id) in request["text"]
        assert "Account: amazon-us" in request["text"]
        assert "Where: private chat" in request["text"]
        assert f"Reason: {REASON}" in request["text"]
        assert labels(request) == [APPROVE, DENY, APPROVE_HOUR]

    bot.clock.advance(45)  # the code the member gets is the one current when approved
    query = await tg.press(p.admin, to_admin, text=APPROVE)
    code = await tg.next_message(tg.private(p.member))
    assert amazon_code(bot) in code["text"]
    assert code["protect_content"] is True
    await bot.settle()
    assert "Approved: mia gets the code" in (tg.callback_answer(query) or {}).get("text", "")
    for request in (to_owner, to_admin):
        now = live(bot, request)
        assert "✅ Approved by adam." in now["text"]
        assert f"Reason: {REASON}" in now["text"]
        assert labels(now) == []


async def test_in_private_the_bot_asks_for_the_reason_and_the_next_message_gives_it(
    bot: Bot,
) -> None:
    p, tg = bot.people, bot.tg
    await approval_team(bot)
    question = await ask(bot, p.member, "/code amazon-us")
    assert "amazon-us needs an admin's approval" in question["text"]
    assert "/code amazon-us reason" in question["text"]
    too_long = await ask(bot, p.member, "x" * 201)
    assert "201 characters; at most 200" in too_long["text"]
    # The question is still open: a good reason now is taken.
    told = await ask(bot, p.member, "to answer a buyer\nabout a refund")
    assert HELD in told["text"]
    request = await asked(bot, p.admin)
    assert "Reason: to answer a buyer about a refund" in request["text"]
    await tg.press(p.owner, await asked(bot, p.owner), text=APPROVE)
    assert amazon_code(bot) in (await tg.next_message(tg.private(p.member)))["text"]


async def test_in_a_group_the_reason_is_a_reply_to_the_bots_question_by_the_person_asked(
    bot: Bot,
) -> None:
    p, tg = bot.people, bot.tg
    group = await approval_team(bot)
    request = await tg.send(p.member, group, "/code amazon-us")
    question = await tg.next_message(group)
    assert "amazon-us needs an admin's approval" in question["text"]
    assert question["reply_markup"] == {"force_reply": True, "selective": True}
    assert question["reply_to_message"]["message_id"] == request["message_id"]
    mentions = [e for e in question.get("entities", []) if e["type"] == "text_mention"]
    assert [m["user"]["id"] for m in mentions] == [p.member.id]

    # Someone else's reply is nobody's reason.
    nina = tg.user("nina")
    await ask(bot, p.admin, f"/add {nina.id}")
    before = await tg.send(nina, group, "me too", reply_to=question)
    await bot.settle()
    assert said_since(bot, group, before) == []

    reason = await tg.send(p.member, group, REASON, reply_to=question)
    told = await tg.next_message(group)
    assert HELD in told["text"]
    assert "You get it here" in told["text"]
    to_admin = await asked(bot, p.admin)
    assert "Where: group “Team”" in to_admin["text"]
    assert f"Reason: {REASON}" in to_admin["text"]
    await tg.press(p.admin, to_admin, text=APPROVE)
    code = await tg.next_message(group)
    assert amazon_code(bot) in code["text"]
    assert "for mia" in code["text"]
    assert code["reply_to_message"]["message_id"] == reason["message_id"]


async def test_a_press_on_the_picker_asks_for_the_reason_too(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    group = await approval_team(bot)
    await tg.send(p.admin, tg.private(p.admin), "/secret add ebay KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU")
    await tg.next_message(tg.private(p.admin))
    await tg.next_message(tg.private(p.admin))
    picker = await ask(bot, p.member, "/code", chat=group)
    await tg.press(p.member, picker, text="amazon-us")
    question = await tg.next_message(group)
    assert "amazon-us needs an admin's approval" in question["text"]
    assert question["reply_markup"]["force_reply"] is True
    await tg.send(p.member, group, REASON, reply_to=question)
    assert HELD in (await tg.next_message(group))["text"]
    assert f"Reason: {REASON}" in (await asked(bot, p.admin))["text"]


async def test_asking_again_while_waiting_does_not_ask_the_admins_again(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    await approval_team(bot)
    await held_in_private(bot)
    again = await ask(bot, p.member, "/code amazon-us please hurry")
    assert "already with the admins" in again["text"]
    await bot.settle()
    asked_admin = [m for m in tg.messages(tg.private(p.admin)) if ASKED in m.get("text", "")]
    assert len(asked_admin) == 1


async def test_deny_tells_the_requester_who_denied_and_gives_no_code(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    group = await approval_team(bot)
    await tg.send(p.member, group, f"/code amazon-us {REASON}")
    assert HELD in (await tg.next_message(group))["text"]
    to_owner, to_admin = await asked(bot, p.owner), await asked(bot, p.admin)
    query = await tg.press(p.owner, to_owner, text=DENY)
    denied = await tg.next_message(group)
    assert "olga Owner denied your request for the amazon-us code" in denied["text"]
    await bot.settle()
    assert "Denied: mia is told" in (tg.callback_answer(query) or {}).get("text", "")
    for request in (to_owner, to_admin):
        assert "⛔ Denied by olga Owner." in live(bot, request)["text"]
    assert all(amazon_code(bot) not in m.get("text", "") for m in tg.messages(group))
    audit = await ask(bot, p.admin, "/audit 5")
    assert f"asked for a code: amazon-us, for the reason “{REASON}”" in audit["text"]
    assert "denied the code request of @mia for amazon-us" in audit["text"]


async def test_two_admins_racing_exactly_one_decision_takes_effect(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    await approval_team(bot)
    told, to_owner, to_admin = await held_in_private(bot)
    # Both presses are on their way before the bot handles either.
    approve = await tg.press(p.owner, to_owner, text=APPROVE)
    deny = await tg.press(p.admin, to_admin, text=DENY)
    await bot.settle()

    answers = {"approve": tg.callback_answer(approve), "deny": tg.callback_answer(deny)}
    assert all(answer is not None for answer in answers.values())
    losers = [name for name, answer in answers.items() if answer and answer.get("show_alert")]
    assert len(losers) == 1
    loser = losers[0]
    if loser == "deny":  # the owner's approval won
        line, outcome = "✅ Approved by olga Owner.", amazon_code(bot)
        assert "Already approved by olga Owner." in (answers["deny"] or {})["text"]
    else:
        line, outcome = "⛔ Denied by adam.", "adam denied your request"
        assert "Already denied by adam." in (answers["approve"] or {})["text"]
    for request in (to_owner, to_admin):
        now = live(bot, request)
        assert line in now["text"]
        assert labels(now) == []
    said = said_since(bot, tg.private(p.member), told)
    assert len(said) == 1, said  # one outcome, never a code and a denial
    assert outcome in said[0]
    audit = await ask(bot, p.admin, "/audit 5")
    decided = [
        line
        for line in audit["text"].splitlines()
        if "approved the code request" in line or "denied the code request" in line
    ]
    assert len(decided) == 1


async def test_a_request_nobody_decides_expires_after_five_minutes(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    await approval_team(bot)
    told, to_owner, to_admin = await held_in_private(bot)
    bot.clock.advance(REQUEST_LIFETIME - 5)
    await asyncio.sleep(0.3)  # a few sweeps
    assert said_since(bot, tg.private(p.member), told) == []
    bot.clock.advance(6)
    expired = await tg.next_message(tg.private(p.member))
    assert (
        "No admin answered your request for the amazon-us code within 5 minutes"
        in (expired["text"])
    )
    for request in (to_owner, to_admin):
        now = live(bot, request)
        assert "⌛ Expired: nobody decided within 5 minutes." in now["text"]
        assert labels(now) == []
    audit = await ask(bot, p.admin, "/audit 3")
    assert "the code request of @mia for amazon-us expired unanswered" in audit["text"]


async def test_approve_after_a_restart_still_delivers(start_bot: Callable[..., Any]) -> None:
    first: Bot = await start_bot()
    await approval_team(first)
    _, _, to_admin = await held_in_private(first)
    await stop(first)

    second: Bot = await start_bot()
    p, tg = second.people, second.tg
    second.clock.advance(40)
    await tg.press(p.admin, to_admin, text=APPROVE)
    code = await tg.next_message(tg.private(p.member))
    assert amazon_code(second) in code["text"]
    await second.settle()
    assert "✅ Approved by adam." in live(second, to_admin)["text"]


async def test_a_request_that_ran_out_while_the_bot_was_down_expires_at_start(
    start_bot: Callable[..., Any],
) -> None:
    first: Bot = await start_bot()
    await approval_team(first)
    _, to_owner, _ = await held_in_private(first)
    await stop(first)
    first.clock.advance(REQUEST_LIFETIME + 60)

    second: Bot = await start_bot()
    told = await second.tg.next_message(second.tg.private(second.people.member))
    assert "No admin answered your request" in told["text"]
    assert "⌛ Expired" in live(second, to_owner)["text"]


async def test_approve_for_an_hour_covers_that_persons_requests_for_the_hour(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    await approval_team(bot)
    _, to_owner, to_admin = await held_in_private(bot)
    await tg.press(p.admin, to_admin, text=APPROVE_HOUR)
    assert amazon_code(bot) in (await tg.next_message(tg.private(p.member)))["text"]
    await bot.settle()
    assert (
        "Approved by adam, with the same person's requests for this account for 1 h"
        in (live(bot, to_owner)["text"])
    )

    bot.clock.advance(STANDING_SECONDS - 120)
    again = await ask(bot, p.member, "/code amazon-us")  # no reason, no admin asked
    assert amazon_code(bot) in again["text"]
    audit = await ask(bot, p.admin, "/audit 4")
    assert "approved the code request of @mia for amazon-us, and theirs for 1 h" in audit["text"]
    assert "asked for a code: amazon-us (within an approval for the hour)" in audit["text"]

    bot.clock.advance(121)
    after = await ask(bot, p.member, "/code amazon-us")
    assert "needs an admin's approval" in after["text"]


async def test_an_admins_own_request_is_not_held(bot: Bot) -> None:
    p = bot.people
    group = await approval_team(bot)
    assert amazon_code(bot) in (await ask(bot, p.admin, "/code amazon-us"))["text"]
    assert amazon_code(bot) in (await ask(bot, p.owner, "/code amazon-us", chat=group))["text"]


async def test_a_stranger_is_not_a_member_and_is_asked_for_nothing(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    group = await approval_team(bot)
    for chat in (None, group):
        refused = await ask(bot, p.stranger, f"/code amazon-us {REASON}", chat=chat)
        assert "You are not a member" in refused["text"]
        assert "amazon-us" not in refused["text"]
        assert "approval" not in refused["text"]
    await bot.settle()
    for admin in (p.owner, p.admin):
        assert not any(ASKED in m.get("text", "") for m in tg.messages(tg.private(admin)))


async def test_a_members_request_while_locked_is_refused_not_held(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    await approval_team(bot)
    await ask(bot, p.owner, "/lock")
    refused = await ask(bot, p.member, f"/code amazon-us {REASON}")
    assert "The bot is locked" in refused["text"]
    await bot.settle()
    assert not any(ASKED in m.get("text", "") for m in tg.messages(tg.private(p.admin)))


async def test_an_approval_given_while_locked_delivers_nothing_and_says_why(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    await approval_team(bot)
    told, to_owner, to_admin = await held_in_private(bot)
    await ask(bot, p.admin, "/lock")
    query = await tg.press(p.owner, to_owner, text=APPROVE)
    locked = await tg.next_message(tg.private(p.member))
    assert "The bot is locked" in locked["text"]
    await bot.settle()
    answer = tg.callback_answer(query) or {}
    assert answer.get("show_alert") is True
    assert "cannot be given the code now: the bot is locked" in answer["text"]
    assert "The code was not given: the bot is locked." in live(bot, to_admin)["text"]
    assert all(amazon_code(bot) not in text for text in said_since(bot, tg.private(p.member), told))


async def test_an_old_approve_button_after_the_decision_gives_nothing_more(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    await approval_team(bot)
    told, to_owner, to_admin = await held_in_private(bot)
    # The owner's message cannot be updated for now: its buttons stay.
    tg.fail(
        "editMessageText",
        status=400,
        description="Bad Request: message can't be edited",
        where=lambda params: params.get("chat_id") == p.owner.id,
    )
    await tg.press(p.admin, to_admin, text=APPROVE)
    assert amazon_code(bot) in (await tg.next_message(tg.private(p.member)))["text"]
    await bot.settle()
    assert labels(live(bot, to_owner)) == [APPROVE, DENY, APPROVE_HOUR]

    late = await tg.press(p.owner, to_owner, text=DENY)
    await bot.settle()
    answer = tg.callback_answer(late) or {}
    assert answer.get("show_alert") is True
    assert answer["text"] == "Already approved by adam."
    now = live(bot, to_owner)
    assert "✅ Approved by adam." in now["text"]
    assert labels(now) == []
    assert len(said_since(bot, tg.private(p.member), told)) == 1  # the one code

    # The admin's message has no buttons left; a client that still shows them is refused.
    data = to_admin["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    stale = await tg.forge_press(p.admin, to_admin, data)
    await bot.settle()
    assert (tg.callback_answer(stale) or {}).get("text") == EXPIRED_BUTTON


async def test_a_forged_press_naming_another_request_is_refused(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    await approval_team(bot)
    told, _, to_admin = await held_in_private(bot)
    data = to_admin["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    kind, request_id = data.split(":")
    for forged in (f"{kind}:{int(request_id) + 1}", f"{kind}:0", f"deny:{'9' * 18}", "aprh:x"):
        query = await tg.forge_press(p.admin, to_admin, forged)
        await bot.settle()
        assert (tg.callback_answer(query) or {}).get("text") == EXPIRED_BUTTON, forged
    assert said_since(bot, tg.private(p.member), told) == []
    assert labels(live(bot, to_admin)) == [APPROVE, DENY, APPROVE_HOUR]


async def test_a_demoted_admin_can_no_longer_decide(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    await approval_team(bot)
    told, _, to_admin = await held_in_private(bot)
    await ask(bot, p.owner, f"/demote {p.admin.id}")
    query = await tg.press(p.admin, to_admin, text=APPROVE)
    await bot.settle()
    assert "Only admins" in (tg.callback_answer(query) or {}).get("text", "")
    assert said_since(bot, tg.private(p.member), told) == []


async def test_when_no_admin_can_be_reached_the_requester_is_told(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    await approval_team(bot)
    await ask(bot, p.owner, "/notify off")
    nora = tg.user("nora", started=False)  # an admin who never opened a chat with the bot
    await ask(bot, p.owner, f"/add {nora.id}")
    await ask(bot, p.owner, f"/promote {nora.id}")
    tg.block(p.admin)
    told = await ask(bot, p.member, f"/code amazon-us {REASON}")
    assert HELD in told["text"]
    nobody = await tg.next_message(tg.private(p.member))
    assert "No admin could be asked" in nobody["text"]
    assert "5 minutes" in nobody["text"]


async def test_a_secret_given_as_a_reason_is_deleted_and_kept_nowhere(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    group = await approval_team(bot)
    in_private = await tg.send(p.member, tg.private(p.member), f"/code amazon-us {SECRET}")
    refused = await tg.next_message(tg.private(p.member))
    assert tg.is_deleted(tg.private(p.member), in_private["message_id"])
    assert "looks like an authenticator secret" in refused["text"]
    await tg.send(p.member, group, f"/code amazon-us {SECRET.lower()}")
    assert "secret" in (await tg.next_message(group))["text"]  # refused as a secret in a group

    question = await ask(bot, p.member, "/code amazon-us")
    assert "needs an admin's approval" in question["text"]
    answered = await tg.send(p.member, tg.private(p.member), SECRET)
    await tg.next_message(tg.private(p.member))  # deleted: a secret answers no reason
    assert tg.is_deleted(tg.private(p.member), answered["message_id"])
    await bot.settle()
    for admin in (p.owner, p.admin):
        assert not any(ASKED in m.get("text", "") for m in tg.messages(tg.private(admin)))
    audit = await ask(bot, p.admin, "/audit 20")
    assert SECRET.lower()[:16] not in audit["text"].lower()


async def test_help_tells_members_and_admins_of_the_reason(bot: Bot) -> None:
    p = bot.people
    await approval_team(bot)
    assert "/code ACCOUNT reason" in (await ask(bot, p.member, "/help"))["text"]
    admin_help = (await ask(bot, p.admin, "/help"))["text"]
    assert "/code NAME reason" in admin_help
    assert "admins' own requests are not held" in admin_help


async def test_approval_none_ends_it(bot: Bot) -> None:
    p = bot.people
    await approval_team(bot)
    shown = await ask(bot, p.admin, "/policy amazon-us approval none")
    assert "Approval: none" in shown["text"]
    assert amazon_code(bot) in (await ask(bot, p.member, "/code amazon-us"))["text"]
    listing = await ask(bot, p.member, "/accounts")
    assert "needs an admin's approval" not in listing["text"]
