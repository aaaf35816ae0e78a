"""Secrets in and out through Telegram: QR photos and files, Google Authenticator exports
pasted as text, and an owner's export.

Every image is deleted by the bot, whatever the outcome (rule 4); every added account
is answered with its current code (rule 5); an export reaches owners only, is audited,
told to every admin, and gone after 60 s.
"""

from __future__ import annotations

import base64
import io
from typing import Any, ClassVar

import pyotp
import pytest
import segno
from PIL import Image

from tests import ga_samples
from tests.e2e.conftest import OTHER_SECRET, SECRET, Bot, ask, setup_team
from tests.fake_telegram import FakeChat, FakeUser
from tests.ga_samples import REAL_SAMPLES, needs_real_samples
from tests.migration_payloads import TYPE_HOTP, Entry, encode_migration

THIRD_SECRET = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"


class _Pyotp80(pyotp.TOTP):
    """The reference implementation, allowed the 80-bit secrets the samples use."""

    min_secret_length_bits: ClassVar[int] = 80


def entry(secret: str, name: str, issuer: str, *, hotp: bool = False) -> Entry:
    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return (
        Entry(secret=raw, name=name, issuer=issuer, type=TYPE_HOTP)
        if hotp
        else Entry(secret=raw, name=name, issuer=issuer)
    )


def qr_png(content: str, *, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    segno.make(content, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_jpeg(content: str) -> bytes:
    image = Image.open(io.BytesIO(qr_png(content))).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def totp_uri(secret: str, *, issuer: str = "Amazon", label: str = "seller@example.com") -> str:
    return f"otpauth://totp/{issuer}:{label}?secret={secret}&issuer={issuer}"


def private(bot: Bot, user: FakeUser) -> FakeChat:
    return bot.tg.private(user)


def deleted(bot: Bot, chat: FakeChat, message: dict[str, Any]) -> bool:
    return bot.tg.is_deleted(chat, message["message_id"])


async def listed(bot: Bot, user: FakeUser) -> str:
    return str((await ask(bot, user, "/secret list"))["text"])


def all_sent_text(bot: Bot) -> str:
    return "\n".join(str(call.params) for call in bot.tg.requests)


async def test_qr_photo_with_caption_adds_that_account_and_replies_with_its_code(
    bot: Bot,
) -> None:
    owner = bot.people.owner
    chat = private(bot, owner)
    photo = await bot.tg.send_photo(owner, chat, qr_png(totp_uri(SECRET)), caption="amazon-us")
    report = await bot.tg.next_message(chat)
    code = await bot.tg.next_message(chat)
    assert deleted(bot, chat, photo)
    assert "amazon-us" in report["text"]
    assert pyotp.TOTP(SECRET).at(bot.clock.now) in code["text"]
    assert code["protect_content"] is True
    assert "amazon-us (Amazon)" in await listed(bot, owner)


async def test_qr_without_caption_is_named_from_issuer_and_can_be_renamed(bot: Bot) -> None:
    owner = bot.people.owner
    chat = private(bot, owner)
    await bot.tg.send_photo(owner, chat, qr_png(totp_uri(SECRET, issuer="Amazon Seller")))
    report = await bot.tg.next_message(chat)
    await bot.tg.next_message(chat)  # the code
    assert "amazon-seller" in report["text"]
    assert "rename" in report["text"]
    renamed = await ask(bot, owner, "amazon-eu")
    assert "amazon-eu" in renamed["text"]
    assert "amazon-eu" in await listed(bot, owner)


async def test_cancel_keeps_the_name_an_import_gave(bot: Bot) -> None:
    owner = bot.people.owner
    chat = private(bot, owner)
    await bot.tg.send_photo(owner, chat, qr_png(totp_uri(SECRET, issuer="Shop")))
    await bot.tg.next_message(chat)
    await bot.tg.next_message(chat)
    assert "Cancelled" in (await ask(bot, owner, "/cancel"))["text"]
    await bot.tg.send(owner, chat, "later")
    await bot.settle()
    assert "shop" in await listed(bot, owner)
    assert "later" not in await listed(bot, owner)


async def test_image_sent_as_a_file_is_read_and_deleted(bot: Bot) -> None:
    owner = bot.people.owner
    chat = private(bot, owner)
    sent = await bot.tg.send_document(
        owner,
        chat,
        qr_jpeg(totp_uri(SECRET)),
        file_name="qr.jpg",
        mime_type="image/jpeg",
        caption="amazon-us",
    )
    await bot.tg.next_message(chat)
    code = await bot.tg.next_message(chat)
    assert deleted(bot, chat, sent)
    assert pyotp.TOTP(SECRET).at(bot.clock.now) in code["text"]


async def test_google_authenticator_export_adds_every_totp_and_reports_hotp(bot: Bot) -> None:
    owner = bot.people.owner
    chat = private(bot, owner)
    export = encode_migration(
        entry(SECRET, "seller@example.com", "Amazon"),
        entry(OTHER_SECRET, "me@example.com", "eBay"),
        entry(THIRD_SECRET, "counter", "Bank", hotp=True),
    )
    photo = await bot.tg.send_photo(owner, chat, qr_png(export, scale=4))
    report = await bot.tg.next_message(chat)
    codes = await bot.tg.next_message(chat)
    assert deleted(bot, chat, photo)
    assert "Added 2" in report["text"]
    assert "Bank" in report["text"]
    assert "HOTP" in report["text"] or "counter" in report["text"].lower()
    assert pyotp.TOTP(SECRET).at(bot.clock.now) in codes["text"]
    assert pyotp.TOTP(OTHER_SECRET).at(bot.clock.now) in codes["text"]
    assert codes["protect_content"] is True
    accounts = await listed(bot, owner)
    assert "amazon" in accounts
    assert "ebay" in accounts
    assert "bank" not in accounts


async def test_export_pasted_as_text_is_imported_and_the_message_deleted(bot: Bot) -> None:
    owner = bot.people.owner
    chat = private(bot, owner)
    export = encode_migration(entry(SECRET, "a@example.com", "Amazon"))
    sent = await bot.tg.send(owner, chat, f"/secret import {export}")
    report = await bot.tg.next_message(chat)
    await bot.tg.next_message(chat)
    assert deleted(bot, chat, sent)
    assert "amazon" in report["text"]


async def test_batch_export_is_accepted_one_image_at_a_time(bot: Bot) -> None:
    owner = bot.people.owner
    chat = private(bot, owner)
    first = encode_migration(entry(SECRET, "a", "Amazon"), batch_index=0, batch_size=2)
    second = encode_migration(entry(OTHER_SECRET, "b", "eBay"), batch_index=1, batch_size=2)
    await bot.tg.send_photo(owner, chat, qr_png(first))
    report = await bot.tg.next_message(chat)
    await bot.tg.next_message(chat)
    assert "1 of 2" in report["text"]
    await bot.tg.send_photo(owner, chat, qr_png(second))
    report = await bot.tg.next_message(chat)
    assert "2 of 2" in report["text"]
    assert "ebay" in report["text"]


async def test_secret_already_stored_is_reported_not_duplicated(bot: Bot) -> None:
    owner = bot.people.owner
    chat = private(bot, owner)
    await bot.tg.send(owner, chat, f"/secret add amazon-us {SECRET}")
    await bot.tg.next_message(chat)
    await bot.tg.next_message(chat)
    await bot.tg.send_photo(owner, chat, qr_png(totp_uri(SECRET)))
    report = await bot.tg.next_message(chat)
    assert "already stored as “amazon-us”" in report["text"]
    assert (await listed(bot, owner)).count("Amazon") == 0 or "amazon-2" not in await listed(
        bot, owner
    )


async def test_images_that_hold_no_otp_are_refused_deleted_and_nothing_stored(bot: Bot) -> None:
    owner = bot.people.owner
    chat = private(bot, owner)
    blank = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(blank, format="PNG")
    cases = [
        (qr_png("https://example.com/not-a-secret"), "not an authenticator"),
        (ga_samples.qr_without_otp_png(), "not an authenticator"),
        (blank.getvalue(), "no QR code"),
    ]
    for data, expected in cases:
        photo = await bot.tg.send_photo(owner, chat, data)
        reply = await bot.tg.next_message(chat)
        assert deleted(bot, chat, photo)
        assert expected in reply["text"], reply["text"]
    text_file = await bot.tg.send_document(
        owner, chat, b"just text", file_name="notes.txt", mime_type="text/plain"
    )
    reply = await bot.tg.next_message(chat)
    assert deleted(bot, chat, text_file)
    assert "image" in reply["text"].lower()
    masquerading = await bot.tg.send_document(
        owner,
        chat,
        ga_samples.TEXT_AS_IMAGE,
        file_name=ga_samples.TEXT_AS_IMAGE_NAME,
        mime_type="image/jpeg",
    )
    reply = await bot.tg.next_message(chat)
    assert deleted(bot, chat, masquerading)
    assert "couldn't open that as an image" in reply["text"]
    assert "No accounts yet" in await listed(bot, owner)


async def test_member_and_stranger_images_are_deleted_and_refused(bot: Bot) -> None:
    await setup_team(bot)
    for someone in (bot.people.member, bot.people.stranger):
        chat = private(bot, someone)
        photo = await bot.tg.send_photo(someone, chat, qr_png(totp_uri(OTHER_SECRET)))
        reply = await bot.tg.next_message(chat)
        assert deleted(bot, chat, photo)
        assert "admins" in reply["text"] or "not a member" in reply["text"]
    assert "ebay" not in (await listed(bot, bot.people.owner)).lower()
    assert not any(call.method == "getFile" for call in bot.tg.requests), (
        "an image from a non-admin was downloaded"
    )


async def test_owner_export_sends_qr_and_link_protected_then_deletes_them(bot: Bot) -> None:
    await setup_team(bot)
    owner, admin = bot.people.owner, bot.people.admin
    chat = private(bot, owner)
    confirm = await ask(bot, owner, "/secret export amazon-us")
    assert "60 s" in confirm["text"]
    await bot.tg.press(owner, confirm, text="Export")
    picture_call = await bot.tg.wait_for("sendPhoto")
    link_call = await bot.tg.wait_for(
        "sendMessage", where=lambda c: "otpauth://" in str(c.params.get("text"))
    )
    assert picture_call.params["protect_content"] is True
    assert link_call.params["protect_content"] is True
    assert SECRET in str(link_call.params["text"])
    notice = await bot.tg.wait_for(
        "sendMessage",
        where=lambda c: (
            c.params.get("chat_id") == admin.id and "exported" in str(c.params.get("text"))
        ),
    )
    assert "amazon-us" in str(notice.params["text"])
    await bot.tg.wait_for("editMessageText")  # the handler is done: both are scheduled
    picture_id = picture_call.result["message_id"]
    link_id = link_call.result["message_id"]
    bot.clock.advance(59)
    await bot.settle()
    assert not bot.tg.is_deleted(chat, picture_id)
    bot.clock.advance(2)
    await bot.tg.wait_for("deleteMessage", where=lambda c: c.params["message_id"] == link_id)
    await bot.tg.wait_for("deleteMessage", where=lambda c: c.params["message_id"] == picture_id)
    assert bot.tg.is_deleted(chat, picture_id)
    await bot.tg.send(owner, chat, "/audit")
    await bot.tg.wait_for(
        "sendMessage", where=lambda c: "exported account amazon-us" in str(c.params.get("text"))
    )


async def test_only_owners_can_export(bot: Bot) -> None:
    await setup_team(bot)
    reply = await ask(bot, bot.people.admin, "/secret export amazon-us")
    assert "Only owners" in reply["text"]
    assert SECRET not in all_sent_text(bot)


async def test_file_over_ten_megabytes_is_refused_unread_and_deleted(bot: Bot) -> None:
    owner = bot.people.owner
    chat = private(bot, owner)
    big = qr_png(totp_uri(SECRET)) + bytes(10 * 1024 * 1024)
    sent = await bot.tg.send_document(owner, chat, big, file_name="qr.png", mime_type="image/png")
    reply = await bot.tg.next_message(chat)
    assert deleted(bot, chat, sent)
    assert "10 MB" in reply["text"]
    assert not bot.tg.calls("getFile"), "a file over the limit was downloaded"
    assert "No accounts yet" in await listed(bot, owner)


async def test_screenshot_of_a_google_authenticator_export_adds_its_three_accounts(
    bot: Bot,
) -> None:
    owner = bot.people.owner
    chat = private(bot, owner)
    photo = await bot.tg.send_photo(owner, chat, ga_samples.export_screenshot())
    report = await bot.tg.next_message(chat)
    codes = await bot.tg.next_message(chat)
    assert deleted(bot, chat, photo)
    assert "Added 3" in report["text"]
    for account in ga_samples.SCREENSHOT_ACCOUNTS:
        assert _Pyotp80(account.secret).at(bot.clock.now) in codes["text"]
    accounts = await listed(bot, owner)
    for name in ("shop1", "shop2", "shop3"):
        assert name in accounts


async def test_pasted_exports_with_a_scanner_label_or_unescaped_base64_are_imported(
    bot: Bot,
) -> None:
    owner = bot.people.owner
    chat = private(bot, owner)
    sent = await bot.tg.send(owner, chat, f"/secret import {ga_samples.PREFIXED_LINK}")
    report = await bot.tg.next_message(chat)
    await bot.tg.next_message(chat)  # the code
    assert deleted(bot, chat, sent)
    assert "buildbox" in report["text"]
    sent = await bot.tg.send(owner, chat, f"/secret import {ga_samples.PLUS_SLASH_LINK}")
    report = await bot.tg.next_message(chat)
    codes = await bot.tg.next_message(chat)
    assert deleted(bot, chat, sent)
    assert "Added 4" in report["text"]
    for account in ga_samples.PLUS_SLASH_ACCOUNTS:
        assert pyotp.TOTP(account.secret).at(bot.clock.now) in codes["text"]


async def test_pasted_export_with_wrong_data_is_refused_clearly_and_deleted(bot: Bot) -> None:
    owner = bot.people.owner
    chat = private(bot, owner)
    sent = await bot.tg.send(owner, chat, f"/secret import {ga_samples.WRONG_DATA_LINK}")
    reply = await bot.tg.next_message(chat)
    assert deleted(bot, chat, sent)
    assert "export can't be read" in reply["text"]
    assert "No accounts yet" in await listed(bot, owner)


@needs_real_samples
async def test_real_google_authenticator_sample_photo_adds_its_three_accounts(bot: Bot) -> None:
    sample = REAL_SAMPLES / "example_export.png"
    owner = bot.people.owner
    chat = private(bot, owner)
    await bot.tg.send_photo(owner, chat, sample.read_bytes())
    report = await bot.tg.next_message(chat)
    codes = await bot.tg.next_message(chat)
    assert "Added 3" in report["text"]
    for secret in ("JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXQ", "JBSWY3DPEHPK3PXR"):
        assert _Pyotp80(secret).at(bot.clock.now) in codes["text"]
    accounts = await listed(bot, owner)
    for name in ("test1", "test2", "test3"):
        assert name in accounts


async def test_no_seed_leaves_the_bot_during_imports(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    owner = bot.people.owner
    chat = private(bot, owner)
    await bot.tg.send_photo(owner, chat, qr_png(totp_uri(SECRET)), caption="amazon-us")
    export = encode_migration(entry(OTHER_SECRET, "b@example.com", "eBay"))
    await bot.tg.send_photo(owner, chat, qr_png(export))
    await bot.tg.send(owner, chat, f"/secret import {export}")  # a duplicate now
    await bot.tg.send_photo(owner, chat, qr_png(totp_uri(SECRET)))  # also a duplicate
    await bot.settle()
    for seed in (SECRET, OTHER_SECRET, SECRET.lower(), OTHER_SECRET[:16]):
        assert seed not in all_sent_text(bot)
        assert seed not in caplog.text
