"""Re-keying an account (`/secret rotate NAME`): the site changes authenticator, and the bot
follows without ever locking the team out.

The new key waits beside the old one until an admin confirms that the site took it; until
then `/code` gives the old key's codes. Cancelling (the button, /cancel) or an hour passing
leaves the old key in place. The message holding the new key, typed or a QR image, is
deleted as soon as it is read; the new key's code is shown for the site's check,
protected and gone when it expires.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pyotp

from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, ask, secrets_in, setup_team
from tests.e2e.test_codes import stop
from tests.e2e.test_intake import entry, qr_png
from tests.fake_telegram import FakeChat, FakeUser
from tests.migration_payloads import encode_migration

NEW_KEY = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
SITE_TOOK_IT = "✅ The site took it: replace the old key"
KEEP_OLD = "Cancel: keep the old key"
NEW_CODE = "🔢 New code"
NO_LONGER_WAITS = "This change of key no longer waits"


def private(bot: Bot, user: FakeUser) -> FakeChat:
    return bot.tg.private(user)


async def said(bot: Bot, chat: FakeChat) -> dict[str, Any]:
    """The bot's next message in `chat`, past the code-request notices admins get."""
    while True:
        message = await bot.tg.next_message(chat)
        if not message.get("text", "").startswith("🔔"):
            return message


def old_code(bot: Bot) -> str:
    return pyotp.TOTP(SECRET).at(bot.clock.now)


def new_code(bot: Bot) -> str:
    return pyotp.TOTP(NEW_KEY).at(bot.clock.now)


async def member_code(bot: Bot) -> str:
    return str((await ask(bot, bot.people.member, "/code amazon-us"))["text"])


async def asked_for_new_key(bot: Bot, user: FakeUser, name: str = "amazon-us") -> None:
    steps = await ask(bot, user, f"/secret rotate {name}")
    assert "Settings → Login Settings → Advanced Security Settings → Edit" in steps["text"]
    assert "security settings" in steps["text"]
    assert "Only then remove the old authenticator" in steps["text"]


async def key_taken(
    bot: Bot, user: FakeUser, sent: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """After the new key went out in `sent`: it was deleted, the new key's code came,
    labelled, and then the buttons. Returns the code and the buttons' message."""
    chat = private(bot, user)
    taken = await said(bot, chat)
    assert bot.tg.is_deleted(chat, sent["message_id"])
    assert "took the new key for amazon-us" in taken["text"]
    code = await said(bot, chat)
    assert "NEW key" in code["text"]
    assert code["protect_content"] is True
    prompt = await said(bot, chat)
    labels = [b["text"] for row in prompt["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == [SITE_TOOK_IT, NEW_CODE, KEEP_OLD]
    return code, prompt


async def rotation_started(bot: Bot, user: FakeUser, key: str = NEW_KEY) -> dict[str, Any]:
    """`user` starts re-keying amazon-us and sends `key`; returns the buttons' message."""
    await asked_for_new_key(bot, user)
    sent = await bot.tg.send(user, private(bot, user), key)
    code, prompt = await key_taken(bot, user, sent)
    assert new_code(bot) in code["text"]
    return prompt


async def pressed(bot: Bot, user: FakeUser, message: dict[str, Any], label: str) -> dict[str, Any]:
    """`user` presses `label`; the bot's answer to the press."""
    query = await bot.tg.press(user, message, text=label)
    await bot.tg.wait_for(
        "answerCallbackQuery", where=lambda c: c.params["callback_query_id"] == query
    )
    await bot.settle()
    answer = bot.tg.callback_answer(query)
    assert answer is not None
    return answer


def now_says(bot: Bot, message: dict[str, Any]) -> str:
    """What `message` says now, after the bot's edits."""
    chat = bot.tg.chat(int(message["chat"]["id"]))
    live = chat.get(int(message["message_id"]))
    assert live is not None
    return str(live["text"])


def bot_texts(bot: Bot) -> str:
    return "\n".join(str(call.params) for call in bot.tg.requests if call.method != "getUpdates")


async def audit(bot: Bot, user: FakeUser) -> str:
    """The audit log `user` reads, past any notice that came meanwhile."""
    chat = private(bot, user)
    await bot.tg.send(user, chat, "/audit")
    while True:
        message = await bot.tg.next_message(chat)
        if message.get("text", "").startswith("Last"):
            return str(message["text"])


# ------------------------------------------------------------------ the whole change


async def test_a_full_rotation_replaces_the_key_only_once_the_site_took_it(bot: Bot) -> None:
    await setup_team(bot)
    p = bot.people
    assert old_code(bot) in await member_code(bot)
    prompt = await rotation_started(bot, p.admin)
    # Until it is confirmed, everyone still gets the old key's codes: nobody is locked out.
    assert old_code(bot) in await member_code(bot)
    assert "a new key waits for confirmation" in (await ask(bot, p.admin, "/secret list"))["text"]

    answer = await pressed(bot, p.admin, prompt, SITE_TOOK_IT)
    assert "show_alert" not in answer
    assert "amazon-us now uses the new key" in now_says(bot, prompt)
    told = await bot.tg.wait_for(
        "sendMessage",
        where=lambda c: (
            c.params.get("chat_id") == p.owner.id and "Key replaced" in str(c.params.get("text"))
        ),
    )
    assert "amazon-us" in str(told.params["text"])
    assert "adam" in str(told.params["text"])

    assert new_code(bot) in await member_code(bot)
    assert old_code(bot) not in await member_code(bot)
    events = await audit(bot, p.owner)
    assert "took a new key for account amazon-us" in events
    assert "replaced the key of account amazon-us" in events
    assert secrets_in(bot_texts(bot)) == [], "a seed left the bot"


async def test_the_new_keys_code_is_deleted_when_it_expires(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    await asked_for_new_key(bot, admin)
    sent = await bot.tg.send(admin, private(bot, admin), NEW_KEY)
    code, _ = await key_taken(bot, admin, sent)
    bot.clock.advance(60)
    await bot.tg.wait_for(
        "deleteMessage", where=lambda c: c.params["message_id"] == code["message_id"]
    )


async def test_new_code_button_and_asking_again_show_the_new_keys_current_code(bot: Bot) -> None:
    """The site's check may take longer than one code: the new code comes again, and another
    admin asking for the account sees the change waiting and may confirm it."""
    await setup_team(bot)
    p = bot.people
    prompt = await rotation_started(bot, p.admin)
    bot.clock.advance(30)
    await pressed(bot, p.admin, prompt, NEW_CODE)
    again = await said(bot, private(bot, p.admin))
    assert new_code(bot) in again["text"]
    assert "NEW key" in again["text"]

    waiting = await ask(bot, p.owner, "/secret rotate amazon-us")
    assert "is waiting for confirmation" in waiting["text"]
    code = await said(bot, private(bot, p.owner))
    assert new_code(bot) in code["text"]
    theirs = await said(bot, private(bot, p.owner))
    await pressed(bot, p.owner, theirs, SITE_TOOK_IT)
    await bot.tg.wait_for(
        "sendMessage",
        where=lambda c: (
            c.params.get("chat_id") == p.admin.id and "Key replaced" in str(c.params.get("text"))
        ),
    )
    assert new_code(bot) in await member_code(bot)
    # The admin who started it presses too late: the change is settled.
    answer = await pressed(bot, p.admin, prompt, SITE_TOOK_IT)
    assert answer.get("show_alert") is True
    assert NO_LONGER_WAITS in answer["text"]


# ------------------------------------------------------------------ cancelled halfway


async def test_cancel_button_keeps_the_old_key_and_its_old_buttons_expire(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    prompt = await rotation_started(bot, admin)
    await pressed(bot, admin, prompt, KEEP_OLD)
    assert "amazon-us keeps its old key" in now_says(bot, prompt)
    assert old_code(bot) in await member_code(bot)
    assert "dropped the new key of account amazon-us" in await audit(bot, admin)
    confirm = next(
        b["callback_data"]
        for row in prompt["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == SITE_TOOK_IT
    )
    query = await bot.tg.forge_press(admin, prompt, confirm)
    await bot.tg.wait_for(
        "answerCallbackQuery", where=lambda c: c.params["callback_query_id"] == query
    )
    answer = bot.tg.callback_answer(query)
    assert answer is not None
    assert answer["text"] == "This button has expired."
    assert old_code(bot) in await member_code(bot)


async def test_cancel_command_halfway_keeps_the_old_key_and_a_stale_confirm_says_so(
    bot: Bot,
) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    prompt = await rotation_started(bot, admin)
    cancelled = await ask(bot, admin, "/cancel")
    assert "Cancelled the new key of amazon-us" in cancelled["text"]
    answer = await pressed(bot, admin, prompt, SITE_TOOK_IT)
    assert answer.get("show_alert") is True
    assert NO_LONGER_WAITS in answer["text"]
    assert old_code(bot) in await member_code(bot)
    assert "Nothing to cancel" in (await ask(bot, admin, "/cancel"))["text"]


async def test_cancel_before_the_new_key_came_asks_no_more(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    await asked_for_new_key(bot, admin)
    assert "Cancelled." in (await ask(bot, admin, "/cancel"))["text"]
    sent = await bot.tg.send(admin, private(bot, admin), NEW_KEY)
    hint = await said(bot, private(bot, admin))
    assert bot.tg.is_deleted(private(bot, admin), sent["message_id"])
    assert "/secret add NAME SECRET" in hint["text"]  # an unasked secret, deleted
    assert old_code(bot) in await member_code(bot)


async def test_a_change_nobody_confirms_within_an_hour_keeps_the_old_key(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    prompt = await rotation_started(bot, admin)
    bot.clock.advance(59 * 60)
    assert old_code(bot) in await member_code(bot)
    bot.clock.advance(61)
    told = await bot.tg.wait_for(
        "sendMessage",
        where=lambda c: (
            c.params.get("chat_id") == admin.id
            and "not confirmed within an hour" in str(c.params.get("text"))
        ),
    )
    assert "amazon-us" in str(told.params["text"])
    answer = await pressed(bot, admin, prompt, SITE_TOOK_IT)
    assert NO_LONGER_WAITS in answer["text"]
    assert old_code(bot) in await member_code(bot)
    events = await audit(bot, admin)
    assert "dropped the new key of account amazon-us, kept the old one — not confirmed" in events


# ------------------------------------------------------------------ refused keys


async def test_the_key_the_account_already_has_is_refused_and_deleted(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    chat = private(bot, admin)
    await asked_for_new_key(bot, admin)
    sent = await bot.tg.send(admin, chat, SECRET.lower())
    refused = await said(bot, chat)
    assert bot.tg.is_deleted(chat, sent["message_id"])
    assert "That is the key amazon-us already has" in refused["text"]
    assert "waits for confirmation" not in (await ask(bot, admin, "/secret list"))["text"]


async def test_a_key_another_account_holds_is_refused(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    chat = private(bot, admin)
    await bot.tg.send(admin, chat, f"/secret add ebay {OTHER_SECRET}")
    await said(bot, chat)
    await said(bot, chat)
    sent = await bot.tg.send(admin, chat, f"/secret rotate amazon-us {OTHER_SECRET}")
    refused = await said(bot, chat)
    assert bot.tg.is_deleted(chat, sent["message_id"])
    assert "already stored as “ebay”" in refused["text"]
    assert old_code(bot) in await member_code(bot)


async def test_a_member_cannot_rotate_and_their_key_is_deleted(bot: Bot) -> None:
    await setup_team(bot)
    member = bot.people.member
    chat = private(bot, member)
    refused = await ask(bot, member, "/secret rotate amazon-us")
    assert "Only admins" in refused["text"]
    sent = await bot.tg.send(member, chat, f"/secret rotate amazon-us {NEW_KEY}")
    refused = await said(bot, chat)
    assert bot.tg.is_deleted(chat, sent["message_id"])
    assert "Only admins" in refused["text"]
    assert old_code(bot) in await member_code(bot)


# ------------------------------------------------------------------ other ways in


async def test_the_key_given_with_the_command_is_deleted_and_taken(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    sent = await bot.tg.send(admin, private(bot, admin), f"/secret rotate amazon-us {NEW_KEY}")
    _, prompt = await key_taken(bot, admin, sent)
    await pressed(bot, admin, prompt, SITE_TOOK_IT)
    assert new_code(bot) in await member_code(bot)


async def test_a_mistyped_key_is_deleted_refused_and_changes_nothing(bot: Bot) -> None:
    """A key with a typo (a 1 is no base32) reads as no secret to the detector, but it is
    still most of one: with the command, or as the awaited answer, it is deleted."""
    await setup_team(bot)
    admin = bot.people.admin
    chat = private(bot, admin)
    mistyped = f"{NEW_KEY[:-1]}1"
    sent = await bot.tg.send(admin, chat, f"/secret rotate amazon-us {mistyped}")
    refused = await said(bot, chat)
    assert bot.tg.is_deleted(chat, sent["message_id"])
    assert "not a valid secret" in refused["text"]
    assert mistyped.lower() not in refused["text"].lower()
    await asked_for_new_key(bot, admin)
    sent = await bot.tg.send(admin, chat, mistyped)
    refused = await said(bot, chat)
    assert bot.tg.is_deleted(chat, sent["message_id"])
    assert "not a valid secret" in refused["text"]
    assert "waits for confirmation" not in (await ask(bot, admin, "/secret list"))["text"]
    assert old_code(bot) in await member_code(bot)


async def test_a_key_without_the_account_name_is_deleted_and_not_echoed(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    chat = private(bot, admin)
    grouped = " ".join(NEW_KEY[i : i + 4] for i in range(0, len(NEW_KEY), 4))
    for typed in (f"/secret rotate {NEW_KEY}", f"/secret rotate {grouped}"):
        sent = await bot.tg.send(admin, chat, typed)
        refused = await said(bot, chat)
        assert bot.tg.is_deleted(chat, sent["message_id"]), typed
        assert "no account name" in refused["text"], typed
    assert secrets_in(bot_texts(bot)) == []


async def test_a_rotation_by_qr_photo_takes_the_new_keys_settings(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    chat = private(bot, admin)
    uri = (
        f"otpauth://totp/Amazon:seller@example.com?secret={NEW_KEY}"
        "&issuer=Amazon&algorithm=SHA256&digits=8&period=60"
    )
    await asked_for_new_key(bot, admin)
    photo = await bot.tg.send_photo(admin, chat, qr_png(uri), caption="whatever")
    code, prompt = await key_taken(bot, admin, photo)
    expected = pyotp.TOTP(NEW_KEY, digits=8, digest=hashlib.sha256, interval=60)
    assert expected.at(bot.clock.now) in code["text"]
    assert "Valid for 55 s" in code["text"]  # the new key's 60-second window
    await pressed(bot, admin, prompt, SITE_TOOK_IT)
    assert expected.at(bot.clock.now) in await member_code(bot)
    assert "8 digits, 60 s, SHA256" in (await ask(bot, admin, "/secret list"))["text"]
    assert "whatever" not in (await ask(bot, admin, "/secret list"))["text"]


async def test_an_export_of_several_accounts_is_no_new_key(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    chat = private(bot, admin)
    export = encode_migration(
        entry(NEW_KEY, "seller@example.com", "Amazon"),
        entry(OTHER_SECRET, "me@example.com", "eBay"),
    )
    await asked_for_new_key(bot, admin)
    photo = await bot.tg.send_photo(admin, chat, qr_png(export, scale=4))
    refused = await said(bot, chat)
    assert bot.tg.is_deleted(chat, photo["message_id"])
    assert "holds 2 authenticator keys" in refused["text"]
    listed = (await ask(bot, admin, "/secret list"))["text"]
    assert "ebay" not in listed, "the export was not imported instead"
    assert old_code(bot) in await member_code(bot)


async def test_a_photo_with_no_question_open_is_still_an_import(bot: Bot) -> None:
    await setup_team(bot)
    admin = bot.people.admin
    chat = private(bot, admin)
    uri = f"otpauth://totp/eBay:me@example.com?secret={OTHER_SECRET}&issuer=eBay"
    await bot.tg.send_photo(admin, chat, qr_png(uri), caption="ebay")
    report = await said(bot, chat)
    assert "Added 1" in report["text"]


# ------------------------------------------------------------------ restarts


async def test_a_change_waiting_survives_a_restart(start_bot: Callable[..., Any]) -> None:
    first: Bot = await start_bot()
    await setup_team(first)
    admin = first.people.admin
    prompt = await rotation_started(first, admin)
    await stop(first)

    second: Bot = await start_bot()
    assert old_code(second) in await member_code(second)
    await pressed(second, admin, prompt, SITE_TOOK_IT)
    assert "amazon-us now uses the new key" in now_says(second, prompt)
    assert new_code(second) in await member_code(second)


async def test_a_new_key_sent_while_the_bot_restarts_is_deleted_and_taken(
    start_bot: Callable[..., Any],
) -> None:
    first: Bot = await start_bot()
    await setup_team(first)
    admin = first.people.admin
    await asked_for_new_key(first, admin)
    await stop(first)
    sent = await first.tg.send(admin, first.tg.private(admin), NEW_KEY)

    second: Bot = await start_bot()
    _, prompt = await key_taken(second, admin, sent)
    await pressed(second, admin, prompt, SITE_TOOK_IT)
    assert new_code(second) in await member_code(second)


async def test_after_a_rotation_only_who_sent_the_new_key_is_said_to_have_seen_it(
    bot: Bot,
) -> None:
    """Re-keying is the advice for a seed someone took with them: once done, whoever saw
    the old seed has nothing that still works, and whoever sent the new one has."""
    await setup_team(bot)  # adam added amazon-us: he saw its seed
    p, bea = bot.people, bot.tg.user("bea")
    await ask(bot, p.owner, f"/promote {bea.id}")
    prompt = await rotation_started(bot, bea)
    await pressed(bot, bea, prompt, SITE_TOOK_IT)
    await said(bot, private(bot, p.owner))  # "key replaced"

    revoked = await ask(bot, p.owner, f"/revoke {p.admin.id}")
    assert "They only ever saw codes, never a seed" in revoked["text"]
    revoked = await ask(bot, p.owner, f"/revoke {bea.id}")
    assert "• amazon-us (set its new seed): /secret rotate amazon-us" in revoked["text"]
