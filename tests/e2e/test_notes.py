"""Recovery custody notes (`/secret note NAME TEXT`): who holds the backup phone, which
number, where the recovery steps are.

The note is encrypted in the store, shown to admins only (`/secret list`, `/secret note
NAME`), never to members; the admin's message holding it is deleted once it is stored, and
no reply repeats it; the audit log says that it changed, never what it says.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.e2e.conftest import Bot, ask, setup_team
from tests.fake_telegram import FakeChat, FakeUser

NOTE = "Backup phone: Li Wei, +86 138 0013 8000 (SMS). Recovery steps: team drive /amazon-2fa"


def private(bot: Bot, user: FakeUser) -> FakeChat:
    return bot.tg.private(user)


async def noted(bot: Bot, user: FakeUser, command: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """`user` sends `command`; the message sent and the bot's reply."""
    chat = private(bot, user)
    sent = await bot.tg.send(user, chat, command)
    return sent, await bot.tg.next_message(chat)


def stored_bytes(bot: Bot) -> bytes:
    """Everything the store keeps: on SQLite the database file and its journals, on
    PostgreSQL every row of every table, as text (binary columns show as hex there, so the
    SQLite run is the one that would find a note kept unsealed in one)."""
    if bot.on_sqlite:
        return b"".join(path.read_bytes() for path in sorted(bot.data_dir.glob("teamotp.db*")))
    tables = bot.tamper("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    rows = [
        row[0]
        for (table,) in tables
        for row in bot.tamper(f'SELECT t::text FROM "{table}" t')  # noqa: S608 - its own names
    ]
    return "\n".join(rows).encode()


async def test_a_note_is_stored_encrypted_its_message_deleted_and_listed_for_admins(
    bot: Bot,
) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    sent, saved = await noted(bot, admin, f"/secret note amazon-us {NOTE}")
    assert bot.tg.is_deleted(private(bot, admin), sent["message_id"])
    assert "Saved the recovery note of amazon-us" in saved["text"]
    assert "Li Wei" not in saved["text"]
    listed = (await ask(bot, admin, "/secret list"))["text"]
    assert "amazon-us" in listed
    assert NOTE in listed
    on_disk = await asyncio.to_thread(stored_bytes, bot)
    assert b"amazon-us" in on_disk  # what is not encrypted is there to be found
    assert b"Li Wei" not in on_disk
    assert b"0013 8000" not in on_disk
    assert "amazon-us" in (await ask(bot, bot.people.owner, "/secret list"))["text"]


async def test_a_note_keeps_its_line_breaks_and_is_shown_protected(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    await noted(bot, admin, "/secret note amazon-us Phone: Li Wei\nSteps: the red binder")
    shown = await ask(bot, admin, "/secret note amazon-us")
    assert "Phone: Li Wei\nSteps: the red binder" in shown["text"]
    assert shown["protect_content"] is True


async def test_a_note_is_replaced_and_removed_with_a_dash_and_audited_without_its_text(
    bot: Bot,
) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    await noted(bot, admin, "/secret note amazon-us Anna holds the SIM")
    await noted(bot, admin, f"/secret note amazon-us {NOTE}")
    listed = (await ask(bot, admin, "/secret list"))["text"]
    assert NOTE in listed
    assert "Anna" not in listed
    _, removed = await noted(bot, admin, "/secret note amazon-us -")
    assert "Removed the recovery note of amazon-us" in removed["text"]
    assert NOTE not in (await ask(bot, admin, "/secret list"))["text"]
    assert "has no recovery note" in (await ask(bot, admin, "/secret note amazon-us"))["text"]
    events = (await ask(bot, admin, "/audit"))["text"]
    assert "changed the recovery note of account amazon-us — removed" in events
    assert "Li Wei" not in events
    assert "Anna" not in events


async def test_members_never_see_notes(bot: Bot) -> None:
    group = await setup_team(bot)
    admin, member = bot.people.admin, bot.people.member
    await noted(bot, admin, f"/secret note amazon-us {NOTE}")
    seen = [
        await ask(bot, member, "/accounts"),
        await ask(bot, member, "/code"),
        await ask(bot, member, "/code", chat=group),
        await ask(bot, member, "/secret note amazon-us"),
        await ask(bot, member, "/secret list"),
        await ask(bot, member, "/help"),
    ]
    assert all("Li Wei" not in message["text"] for message in seen)
    assert "Only admins" in seen[3]["text"]
    _, refused = await noted(bot, member, "/secret note amazon-us Mia holds it now")
    assert "Only admins" in refused["text"]
    assert "Mia holds" not in (await ask(bot, admin, "/secret list"))["text"]


async def test_a_note_over_the_limit_is_refused_with_the_limit(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    long_note = "Li Wei holds the phone. " * 25  # 600 characters
    _, refused = await noted(bot, admin, f"/secret note amazon-us {long_note}")
    assert "at most 500" in refused["text"]
    assert "Li Wei" not in (await ask(bot, admin, "/secret list"))["text"]


async def test_a_note_for_an_unknown_account_is_refused(bot: Bot) -> None:
    await setup_team(bot)
    _, refused = await noted(bot, bot.people.admin, "/secret note ebay Li Wei")
    assert "No account named ebay" in refused["text"]


async def test_a_note_message_that_cannot_be_deleted_is_said_and_logged_by_kind(
    bot: Bot, caplog: Any
) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    bot.tg.fail("deleteMessage", status=400, description="Bad Request: message can't be deleted")
    sent, saved = await noted(bot, admin, f"/secret note amazon-us {NOTE}")
    assert not bot.tg.is_deleted(private(bot, admin), sent["message_id"])
    assert "could not delete your message" in saved["text"]
    assert "could not delete a message with a custody note: BadRequest" in caplog.text
    assert "Li Wei" not in caplog.text
