"""`/secret note NAME [TEXT|-]`: the account's recovery custody note (bot.rules.notes).

The note names a person and a phone number: the admin's message is deleted once the note
is stored, and no reply repeats it except the one that shows it on request.
"""

from __future__ import annotations

import logging

from telegram import Message, Update

from bot.chat.context import BotContext
from bot.chat.people import lang
from bot.chat.replies import delete, reply
from bot.chat.worker import offload
from bot.messages import Html, text
from bot.rules.model import Person


async def note_command(
    update: Update, context: BotContext, message: Message, who: Person, args: list[str]
) -> None:
    lng, notes = lang(update, context), context.services.notes
    if len(args) == 2:
        shown = await offload(notes.read, who, args[1])
        name = shown.account.name
        if not shown.readable:
            await reply(update, text(lng, "note.unreadable", name=name))
        elif shown.text is None:
            await reply(update, text(lng, "note.none", name=name))
        else:
            await reply(update, text(lng, "note.show", name=name, note=shown.text), protect=True)
        return
    saved = await offload(notes.write, who, args[1], _typed_note(message))
    deleted = await delete(message, "a message with a custody note", level=logging.WARNING)
    key = "note.removed" if saved.text is None else "note.saved"
    body = text(lng, key, name=saved.account.name)
    if not deleted:
        body = Html(body + "\n" + text(lng, "note.not_deleted"))
    await reply(update, body, quote=False)


def _typed_note(message: Message) -> str:
    """The note as typed, its line breaks kept: everything after `/secret note NAME`."""
    parts = (message.text or "").split(maxsplit=3)
    return parts[3] if len(parts) == 4 else ""
