"""No failure stops the bot: the person gets an apology, the owners hear of it once per
kind in ten minutes (the kind and the time, nothing of the update), and the bot goes on."""

from __future__ import annotations

from bot.rules.clock import utc
from tests.e2e.conftest import Bot, bot_messages, secrets_in

ALERT = "Something went wrong inside the bot"


def _alerts(bot: Bot) -> list[str]:
    owner_chat = bot.tg.private(bot.people.owner)
    return [m["text"] for m in bot_messages(bot, owner_chat) if ALERT in m.get("text", "")]


async def _fails(bot: Bot, command: str) -> None:
    """`command` from the admin fails inside the bot; the admin is told so, politely."""
    answer = await bot.say(bot.people.admin, command)
    assert "Something went wrong on my side" in answer["text"]
    await bot.settle()


def _missing_table(bot: Bot) -> str:
    """The kind of error a query of a table that is gone raises, by database."""
    return "OperationalError" if bot.on_sqlite else "ProgrammingError"


async def test_owner_is_told_once_per_kind_of_failure_in_ten_minutes(bot: Bot) -> None:
    p = bot.people
    await bot.say(p.owner, f"/promote {p.admin.id}")
    bot.tamper("ALTER TABLE accounts RENAME TO accounts_gone")

    await _fails(bot, "/secret list")
    alerts = _alerts(bot)
    assert len(alerts) == 1, alerts
    assert _missing_table(bot) in alerts[0]
    assert utc(bot.clock.now).strftime("%Y-%m-%d %H:%M:%S UTC") in alerts[0]
    assert "/secret" not in alerts[0]
    assert secrets_in(alerts[0]) == []

    bot.clock.advance(9 * 60)
    await _fails(bot, "/secret list")
    assert len(_alerts(bot)) == 1, "the same kind within 10 minutes is told once"

    bot.clock.advance(61)
    await _fails(bot, "/secret list")
    assert len(_alerts(bot)) == 2, "after 10 minutes the owner hears of it again"

    # Another kind of failure is told at once: a role the bot does not know.
    bot.tamper("UPDATE members SET role = 'emperor' WHERE user_id = :id", id=p.admin.id)
    await _fails(bot, "/help")
    alerts = _alerts(bot)
    assert len(alerts) == 3, alerts
    assert "ValueError" in alerts[-1]

    # And the bot goes on: the owner is still answered.
    await bot.tg.send(p.owner, bot.tg.private(p.owner), "/help")
    await bot.settle()
    assert "/code" in bot_messages(bot, bot.tg.private(p.owner))[-1]["text"]
