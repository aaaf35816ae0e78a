"""QR images sent to the bot in private: read them, add what they hold, report; or, when
the bot asked for an account's new key (`/secret rotate NAME`), take it as that.

The image is deleted before anything else happens, whatever the outcome: a QR
code of a secret is the secret (rule 4).
"""

from __future__ import annotations

import logging

from telegram import Document, Message, PhotoSize, Update

from bot.chat import pending, rotation
from bot.chat.context import BotContext
from bot.chat.delivery import Destination, delete_later, send_code
from bot.chat.failures import user_errors
from bot.chat.people import lang, person
from bot.chat.render import packed
from bot.chat.replies import delete, reply
from bot.chat.worker import offload
from bot.messages import issuer_suffix, text
from bot.reports import chunked
from bot.rules.model import ImportReport, Role
from bot.rules.qrcodes import MAX_IMAGE_BYTES, InvalidImage, read_qr_codes

IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp"}


@user_errors
async def image_received(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    await delete(message, "an image that may hold a secret", level=logging.WARNING)
    who = person(user)
    await offload(context.services.access.require_role, who.id, Role.ADMIN)
    data = await _download(message)
    texts = await offload(read_qr_codes, data)
    # Read first: an image with no readable QR code leaves the question open for another.
    rekeyed = await pending.take_rotation(context, who.id)
    if rekeyed is not None:
        await rotation.key_sent(update, context, message, who, rekeyed, texts, from_image=True)
        return
    caption = (message.caption or "").strip() or None
    report = await offload(context.services.vault.import_texts, who, texts, caption)
    await send_report(update, context, report)


async def send_report(update: Update, context: BotContext, report: ImportReport) -> None:
    """What was added (with its current code, rule 5), what was skipped and why; split
    over several messages when a big export would not fit in one."""
    lng = lang(update, context)
    message = update.effective_message
    if message is None:
        return
    added = [
        text(
            lng,
            "import.added_line",
            name=a.issued.account.name,
            issuer=issuer_suffix(lng, a.issued.account.issuer),
        )
        for a in report.added
    ]
    parts = chunked(lng, "import.added", added, count=len(added)) if added else []
    if report.batch is not None:
        number, size = report.batch
        parts.append(text(lng, "import.batch", number=number, size=size))
    skipped = [
        text(
            lng, "import.skipped_line", label=s.label, reason=text(lng, s.reason, **dict(s.params))
        )
        for s in report.skipped
    ]
    if skipped:
        parts += chunked(lng, "import.skipped", skipped)
    if report.renamable and update.effective_user is not None:
        parts.append(text(lng, "import.rename_offer"))
        await pending.offer_rename(
            context, update.effective_user.id, report.added[0].issued.account.id
        )
    if any(a.short_secret for a in report.added):
        bits = min(a.secret_bits for a in report.added if a.short_secret)
        parts.append(text(lng, "secret.short_warning", bits=bits))
    for body in packed(parts):
        await reply(update, body, quote=False)
    if not report.added:
        return
    if len(report.added) == 1:
        await send_code(context, Destination.of(message, quote=False), report.added[0].issued, lng)
        return
    codes = [
        text(
            lng,
            "import.code_line",
            name=a.issued.account.name,
            code=a.issued.code.value,
            seconds=a.issued.seconds_left,
        )
        for a in report.added
    ]
    sent = [
        await message.reply_text(body, protect_content=True, do_quote=False)
        for body in chunked(lng, "import.codes", codes)
    ]
    await delete_later(context, sent, max(a.issued.expires_at for a in report.added))


async def _download(message: Message) -> bytes:
    """The image's bytes: the largest photo size, or the document if it is an image."""
    attachment: PhotoSize | Document
    if message.photo:
        attachment = message.photo[-1]
        size = attachment.file_size
    elif message.document is not None:
        if (message.document.mime_type or "") not in IMAGE_TYPES:
            raise InvalidImage("image.unreadable")
        attachment = message.document
        size = attachment.file_size
    else:
        raise InvalidImage("image.unreadable")
    if size is not None and size > MAX_IMAGE_BYTES:
        raise InvalidImage("image.too_big", max_mb=MAX_IMAGE_BYTES // (1024 * 1024))
    telegram_file = await attachment.get_file()
    return bytes(await telegram_file.download_as_bytearray())
