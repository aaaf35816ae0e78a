"""The parts of the team model working together: an approval follows the account's
delivery rule, a person who left or whose grant ended gets nothing from a request or an
approval given before, the lock stops standing approvals, and an admin can re-key an
account while the bot is locked (the reason to lock it)."""

from __future__ import annotations

import pyotp

from tests.e2e.conftest import SECRET, Bot, ask, bot_messages
from tests.e2e.test_approval import APPROVE, APPROVE_HOUR, REASON, approval_team, asked
from tests.e2e.test_grants_that_end import told_of_end
from tests.e2e.test_roster import next_notice, roster_group
from tests.e2e.test_rotation import NEW_KEY, SITE_TOOK_IT, pressed, rotation_started

LOCKED = "The bot is locked"


def amazon_code(bot: Bot) -> str:
    return pyotp.TOTP(SECRET).at(bot.clock.now)


async def test_an_approved_code_of_a_private_account_asked_in_a_group_goes_to_private(
    bot: Bot,
) -> None:
    p, tg = bot.people, bot.tg
    group = await approval_team(bot)
    await ask(bot, p.admin, "/policy amazon-us delivery private")
    held = await ask(bot, p.member, f"/code amazon-us {REASON}", chat=group)
    assert "private chat" in held["text"]
    request = await asked(bot, p.admin)
    await tg.press(p.admin, request, text=APPROVE)

    code = await tg.next_message(tg.private(p.member))
    assert amazon_code(bot) in code["text"]
    note = await tg.next_message(group)
    assert "Sent to you privately" in note["text"]
    await bot.settle()
    assert all(amazon_code(bot) not in m.get("text", "") for m in tg.messages(group))


async def test_someone_who_left_the_roster_while_waiting_gets_no_code_on_approval(
    bot: Bot,
) -> None:
    p, tg = bot.people, bot.tg
    group = await roster_group(bot)
    await ask(bot, p.admin, "/policy amazon-us approval admin")
    await ask(bot, p.member, f"/code amazon-us {REASON}")
    request = await asked(bot, p.admin)
    await tg.user_leaves(group, p.member)
    assert "their access ended at once" in await next_notice(bot, p.admin)

    await tg.press(p.admin, request, text=APPROVE)
    await bot.settle()
    assert all(
        amazon_code(bot) not in m.get("text", "") for m in bot_messages(bot, tg.private(p.member))
    )


async def test_a_standing_approval_ends_with_the_grant_and_stops_at_the_lock(bot: Bot) -> None:
    p, tg = bot.people, bot.tg
    await approval_team(bot)
    await ask(bot, p.admin, f"/add {p.member.id} for 30m")
    await tg.next_message(tg.private(p.member))  # "you have access until …"
    await ask(bot, p.member, f"/code amazon-us {REASON}")
    request = await asked(bot, p.admin)
    await tg.press(p.admin, request, text=APPROVE_HOUR)
    assert amazon_code(bot) in (await tg.next_message(tg.private(p.member)))["text"]

    # Within the hour no new approval is needed...
    assert amazon_code(bot) in (await ask(bot, p.member, "/code amazon-us"))["text"]
    # ...but the lock stops it,
    await ask(bot, p.admin, "/lock")
    assert LOCKED in (await ask(bot, p.member, "/code amazon-us"))["text"]
    await ask(bot, p.admin, "/unlock")
    # and it does not outlive the grant it was given for.
    bot.clock.advance(31 * 60)
    await told_of_end(bot, p.member)
    await tg.next_message(tg.private(p.member))  # that message, seen by the member
    refused = await ask(bot, p.member, "/code amazon-us")
    assert "not a member" in refused["text"]


async def test_an_admin_can_re_key_an_account_while_the_bot_is_locked(bot: Bot) -> None:
    """A phone was stolen: lock first, then re-key at the site, then unlock."""
    p = bot.people
    await approval_team(bot)
    await ask(bot, p.admin, "/lock")
    prompt = await rotation_started(bot, p.admin)  # shows the new key's code
    await pressed(bot, p.admin, prompt, SITE_TOOK_IT)
    assert LOCKED in (await ask(bot, p.member, "/code amazon-us"))["text"]
    await ask(bot, p.admin, "/unlock")
    await ask(bot, p.admin, "/policy amazon-us approval none")
    got = await ask(bot, p.member, "/code amazon-us")
    assert pyotp.TOTP(NEW_KEY).at(bot.clock.now) in got["text"]
