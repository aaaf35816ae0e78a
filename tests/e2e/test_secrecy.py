"""Rule 3: a secret never leaves the bot, and the bot token never reaches a log.

The whole conversation runs with every logger at DEBUG (the HTTP client too),
then every request the bot made and every captured log line is searched for
the seeds in each form a person might have typed them, and for the token.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pyotp
import pytest
from telegram import Update

from teamotp.logs import redact
from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, setup_team

THIRD_SECRET = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"
FOURTH_SECRET = "ONSWG4TFOQWXI33LMVXHI5DPNVQXE4DU"
SEEDS = (SECRET, OTHER_SECRET, THIRD_SECRET, FOURTH_SECRET)


def forms(seed: str) -> list[str]:
    """The ways a seed may have been typed, and so might be echoed."""
    lower = seed.lower()
    groups = [lower[i : i + 4] for i in range(0, len(lower), 4)]
    return [seed, lower, " ".join(groups), " ".join(groups).upper(), "-".join(groups)]


def leaks(haystack: str) -> list[str]:
    found = []
    for seed in SEEDS:
        found += [form for form in forms(seed) if form in haystack]
        # Also any long piece of it: half a seed is already too much.
        found += [seed[:16]] if seed[:16] in haystack or seed[16:] in haystack else []
    return found


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    records = [f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records]
    return caplog.text + "\n".join(records)


def everything_sent(bot: Bot) -> str:
    """Every parameter of every request the bot made to the Bot API."""
    return "\n".join(f"{c.method} {c.params!r}" for c in bot.tg.calls())


@pytest.fixture(autouse=True)
def everything_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "telegram", "teamotp", "sqlalchemy"):
        caplog.set_level(logging.DEBUG, logger=name)


async def test_no_seed_in_any_request_or_log_and_no_token_in_logs(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    tg, p = bot.tg, bot.people
    group = await setup_team(bot)  # amazon-us from SECRET, added in one message
    admin_chat = tg.private(p.admin)

    # An otpauth:// URI in one message, then a seed sent on its own, spaced.
    uri = f"otpauth://totp/Shop:me?secret={OTHER_SECRET}&issuer=Shop&algorithm=SHA256&digits=8"
    await tg.send(p.admin, admin_chat, f"/secret add shop {uri}")
    await tg.next_message(admin_chat)
    await tg.next_message(admin_chat)
    await bot.say(p.admin, "/secret add ebay")
    spaced = " ".join(THIRD_SECRET.lower()[i : i + 4] for i in range(0, 32, 4))
    await tg.send(p.admin, admin_chat, spaced)
    await tg.next_message(admin_chat)
    await tg.next_message(admin_chat)

    # Refusals: a bad parameter, a taken name, a duplicate seed, a member trying.
    for text in (
        f"/secret add bad otpauth://totp/x?secret={FOURTH_SECRET}&digits=12",
        f"/secret add bad otpauth://totp/x?secret={FOURTH_SECRET}&algorithm=sha{FOURTH_SECRET}",
        f"/secret add bad otpauth://totp/x?secret={FOURTH_SECRET}&period={FOURTH_SECRET}",
        f"/secret add bad otpauth://totp/x?secret={FOURTH_SECRET}&issuer=a%0Ab",
        f"/secret add {FOURTH_SECRET} {FOURTH_SECRET}",
        f"/secret add AMAZON-us {FOURTH_SECRET}",
        f"/secret add copy {SECRET.lower()}",
        f"/secret add bad {FOURTH_SECRET}!1",
    ):
        await tg.send(p.admin, admin_chat, text)
        await tg.next_message(admin_chat)
    await tg.send(p.member, tg.private(p.member), f"/secret add mine {FOURTH_SECRET}")
    await tg.next_message(tg.private(p.member))

    # A seed posted in the group, and codes in private and in the group.
    await tg.send(p.member, group, f"/secret add x {FOURTH_SECRET}")
    await tg.next_message(group)
    reply = await bot.say(p.member, "/code", chat=group)  # several accounts: the picker
    await tg.press(p.member, reply, text="amazon-us")
    code = await tg.next_message(group)
    assert pyotp.TOTP(SECRET).at(bot.clock.now) in code["text"]
    await bot.say(p.member, "/code shop")
    await bot.say(p.admin, "/secret list")
    await bot.say(p.admin, "/audit")
    bot.clock.advance(25)  # the next code shows, and the sweeper deletes expired codes
    await bot.say(p.admin, "/code ebay")
    await bot.settle()

    assert tg.calls("deleteMessage"), "the scenario should have deleted messages"
    assert leaks(everything_sent(bot)) == []
    logged = everything_logged(caplog)
    assert any(r.name.startswith("httpx") for r in caplog.records), "httpx was not captured"
    assert leaks(logged) == []
    assert tg.token not in logged
    assert tg.token.split(":", 1)[1] not in logged


async def test_unexpected_failure_logs_kind_and_update_id_not_the_message(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """A real failure mid-run (the accounts table disappears under the bot): the error
    handler logs what and where, never the update's text, and the user is told."""
    owner = bot.people.owner
    chat = bot.tg.private(owner)
    await bot.say(owner, "/start")
    bot.tamper("ALTER TABLE accounts RENAME TO accounts_gone")
    caplog.clear()

    sent = await bot.tg.send(owner, chat, f"/secret add amazon-us {SECRET}")
    answer = await bot.tg.next_message(chat)
    assert "Something went wrong on my side" in answer["text"]
    assert bot.tg.is_deleted(chat, sent["message_id"])

    update_id = _update_id_of(bot, sent)
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures, caplog.text
    line = failures[0].getMessage()
    assert f"update {update_id} failed" in line
    assert ("OperationalError" if bot.on_sqlite else "ProgrammingError") in line
    # Where in our code, and in which library call: enough to find it, nothing of the data.
    found = re.search(r" at ([\w.]+):\d+ in \w+ \(via ([\w.]+):\d+ in \w+\)$", line)
    assert found is not None, line
    assert found.group(1).startswith("storage."), line  # our code, found by module name
    assert found.group(2).startswith("sqlalchemy." if bot.on_sqlite else "psycopg."), line
    logged = everything_logged(caplog)
    assert leaks(logged) == []
    assert "amazon-us" not in logged
    assert "/secret add" not in logged


def _record(logger: str, msg: str, *args: Any) -> logging.LogRecord:
    """A record made the way `logger.debug(msg, *args)` makes it."""
    log = logging.getLogger(logger)
    return log.makeRecord(log.name, logging.DEBUG, "x.py", 1, msg, args, None)


def test_records_never_hold_the_token_nor_telegram_payloads() -> None:
    token = "555:AAtoken-for-the-record-factory-test"
    redact([token])
    update = Update.de_json(
        {
            "update_id": 77,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 1, "type": "private"},
                "text": f"/secret add x {SECRET}",
            },
        },
        None,
    )
    cases = [
        ("httpx", "HTTP Request: POST %s", (f"http://h/bot{token}/getMe",), "/bot<redacted>/getMe"),
        ("telegram.ext.Application", "Processing update %s", (update,), "Update(update_id=77)"),
        (
            "telegram.ext.ExtBot",
            "Call to Bot API endpoint `%s` finished with return value `%s`",
            ("getUpdates", [{"message": {"text": SECRET}}]),
            "endpoint `getUpdates` finished with return value `<content omitted>`",
        ),
        ("telegram.ext.ExtBot", "Set Bot API URL: %s", (f"http://h/bot{token}",), "URL: "),
        (
            "telegram.request",
            'Can not load invalid JSON data: "%s"',
            (SECRET,),
            "<content omitted>",
        ),
        ("telegram.ext.Updater", "%(what)s", ({"what": SECRET},), "<content omitted>"),
    ]
    for logger, msg, args, shown in cases:
        message = _record(logger, msg, *args).getMessage()
        assert shown in message, message
        assert token not in message
        assert SECRET not in message
    # Our own records keep their arguments: they never log content in the first place.
    assert _record("teamotp.x", "user %s claimed", 42).getMessage() == "user 42 claimed"


def _update_id_of(bot: Bot, message: dict[str, Any]) -> int:
    for call in bot.tg.calls("getUpdates"):
        for update in call.result or []:
            sent = update.get("message") or {}
            if (
                sent.get("message_id") == message["message_id"]
                and sent.get("chat", {}).get("id") == message["chat"]["id"]
            ):
                return int(update["update_id"])
    raise AssertionError("the bot never received that message")
