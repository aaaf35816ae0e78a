"""Whom `/add` really adds: an @username the bot saw long ago, a bot's id, a paste of
too many names; and replies that never outgrow Telegram's 4,096 characters."""

from __future__ import annotations

import io
import os
from typing import Any

import pyotp
import segno
from PIL import Image

from tests.e2e.conftest import SECRET, Bot, ask, setup_team
from tests.fake_telegram import FakeUser
from tests.migration_payloads import Entry, encode_migration

DAY = 24 * 3600


async def nina_seen(bot: Bot, days_ago: float) -> FakeUser:
    """Nina talked to the bot as @nina_k, `days_ago` days before now."""
    nina = bot.tg.user("Nina", username="nina_k")
    await ask(bot, nina, "/start")
    bot.clock.advance(days_ago * DAY)
    return nina


def callback_labels(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


async def test_add_by_a_username_seen_days_ago_names_the_id_and_when(bot: Bot) -> None:
    await setup_team(bot)
    nina = await nina_seen(bot, 3)
    added = await ask(bot, bot.people.admin, "/add @nina_k")
    assert "Nina is a member" in added["text"]
    assert f"@nina_k was id {nina.id} when I last saw them, 3 days ago" in added["text"]


async def test_add_by_a_username_seen_just_now_says_nothing_more(bot: Bot) -> None:
    await setup_team(bot)
    await nina_seen(bot, 0.1)
    added = await ask(bot, bot.people.admin, "/add @nina_k")
    assert "Nina is a member" in added["text"]
    assert "last saw" not in added["text"]


async def test_add_by_a_username_seen_long_ago_asks_first_and_adds_on_confirm(bot: Bot) -> None:
    await setup_team(bot)
    nina = await nina_seen(bot, 8)
    admin = bot.people.admin
    question = await ask(bot, admin, "/add @nina_k amazon-us")
    assert f"@nina_k was id {nina.id} when I last saw them, 8 days ago" in question["text"]
    assert "Usernames change hands" in question["text"]
    assert callback_labels(question) == ["Add this id", "Cancel"]
    assert "not a member" in (await ask(bot, nina, "/code"))["text"]  # nothing added yet

    await bot.tg.press(admin, question, text="Add this id")
    await bot.tg.wait_for("editMessageText")
    edited = next(
        m
        for m in bot.tg.messages(bot.tg.private(admin))
        if m["message_id"] == question["message_id"]
    )
    assert "Nina is a member, with amazon-us" in edited["text"]
    assert pyotp.TOTP(SECRET).at(bot.clock.now) in (await ask(bot, nina, "/code"))["text"]


async def test_cancelling_a_stale_username_adds_nobody(bot: Bot) -> None:
    await setup_team(bot)
    nina = await nina_seen(bot, 30)
    admin = bot.people.admin
    question = await ask(bot, admin, "/add @nina_k")
    await bot.tg.press(admin, question, text="Cancel")
    await bot.tg.wait_for("editMessageText")
    await bot.settle()
    assert "not a member" in (await ask(bot, nina, "/code"))["text"]


async def test_only_an_admin_can_confirm_a_stale_username(bot: Bot) -> None:
    group = await setup_team(bot)
    nina = await nina_seen(bot, 30)
    question = await ask(bot, bot.people.admin, "/add @nina_k", chat=group)
    query = await bot.tg.press(bot.people.member, question, text="Add this id")
    await bot.tg.wait_for(
        "answerCallbackQuery", where=lambda c: c.params["callback_query_id"] == query
    )
    answer = bot.tg.callback_answer(query)
    assert answer is not None
    assert answer["show_alert"] is True
    assert "not a member" in (await ask(bot, nina, "/code"))["text"]


async def test_a_stale_username_with_many_accounts_asks_for_the_id_instead(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    # Account ids of two digits, twenty of them: more than a button's 64 bytes can carry.
    export = encode_migration(
        *(Entry(os.urandom(10), issuer=f"shop{n}") for n in range(100)), quoted=False
    )
    await bot.tg.send(admin, bot.tg.private(admin), f"/secret import {export}")
    while "shop99:" not in (await bot.tg.next_message(bot.tg.private(admin)))["text"]:
        pass  # the import's report, then its codes, the last one last
    names = [f"shop{n}" for n in range(80, 100)]
    nina = await nina_seen(bot, 30)
    question = await ask(bot, admin, f"/add @nina_k {' '.join(names)}")
    assert f"id {nina.id}" in question["text"]
    assert "send /add with that id" in question["text"]
    assert callback_labels(question) == []


async def test_add_of_the_bots_own_id_or_a_telegram_service_id_is_refused(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    for user_id in (bot.tg.bot.id, 1087968824, 777000):
        refused = await ask(bot, admin, f"/add {user_id}")
        assert "That is a bot, not a person" in refused["text"], user_id
    listing = await ask(bot, admin, "/members")
    assert str(bot.tg.bot.id) not in listing["text"]


async def test_too_many_account_names_are_refused_with_a_short_reason(bot: Bot) -> None:
    await setup_team(bot)
    names = " ".join(f"name-{n}" for n in range(300))
    for command in (
        f"/add {bot.people.stranger.id} {names}",
        f"/revoke {bot.people.member.id} {names}",
    ):
        refused = await ask(bot, bot.people.admin, command)
        assert "more than 20 account names" in refused["text"]
        assert len(refused["text"]) < 200
        assert "name-1" not in refused["text"]


def grid_of_qr_codes(texts: list[str]) -> bytes:
    """One screenshot holding several QR codes side by side, as a page of exports."""
    tiles = []
    for content in texts:
        buffer = io.BytesIO()
        segno.make(content, error="l").save(buffer, kind="png", scale=3, border=4)
        tiles.append(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))
    side = max(tile.width for tile in tiles)
    columns = 3
    rows = -(-len(tiles) // columns)
    sheet = Image.new("L", (columns * side, rows * side), 255)
    for index, tile in enumerate(tiles):
        sheet.paste(tile, ((index % columns) * side, (index // columns) * side))
    out = io.BytesIO()
    sheet.save(out, format="PNG")
    return out.getvalue()


async def test_a_huge_import_is_reported_over_several_messages(bot: Bot) -> None:
    """Six export QR codes in one picture, 72 accounts with long issuer names: every
    account is reported and shows its code, and no message outgrows Telegram's limit
    (the fake refuses one that does, and the test fails on any refused request)."""
    owner = bot.people.owner
    chat = bot.tg.private(owner)
    exports = [
        encode_migration(
            *(
                Entry(
                    os.urandom(10),
                    name=f"u{page}-{n}",
                    issuer=f"Marketplace Seller Hub {page}{n:02}",
                )
                for n in range(12)
            ),
            quoted=False,
        )
        for page in range(6)
    ]
    sent = await bot.tg.send_photo(owner, chat, grid_of_qr_codes(exports))
    messages = []
    while len(messages) < 2 or "Current codes" not in messages[-1]["text"]:
        messages.append(await bot.tg.next_message(chat))
    await bot.settle()
    messages += [m for m in bot.tg.messages(chat) if m["message_id"] > messages[-1]["message_id"]]
    assert bot.tg.is_deleted(chat, sent["message_id"])
    report = [m for m in messages if "Current codes" not in m["text"]]
    codes = [m for m in messages if "Current codes" in m["text"]]
    assert len(report) >= 2
    assert len(codes) >= 2
    everything = "\n".join(m["text"] for m in messages)
    for page in range(6):
        for n in range(12):
            assert f"marketplace-seller-hub-{page}{n:02}" in everything
    assert all(len(m["text"]) <= 4096 for m in messages)
