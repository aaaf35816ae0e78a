"""/secret add|list|remove|rename|import|export|rotate|note, and the answers the bot waits
for in private (a secret after `/secret add NAME`, a new name after an import, a new key
after `/secret rotate NAME`).

The gate has already deleted any message that carries a secret by the time
these run, so replies never quote it.
"""

from __future__ import annotations

from telegram import Message, Update

from bot.chat import buttons, decisions, pending, rotation
from bot.chat.buttons import Kind
from bot.chat.context import BotContext
from bot.chat.delivery import Destination, send_code
from bot.chat.failures import user_errors
from bot.chat.intake import send_report
from bot.chat.notes import note_command
from bot.chat.people import lang, person
from bot.chat.render import secret_list
from bot.chat.replies import reply
from bot.chat.worker import offload
from bot.messages import Html, issuer_suffix, text
from bot.rules.detector import is_secret_alone
from bot.rules.model import Person
from bot.rules.pending import Waiting
from bot.rules.qrcodes import make_qr_png

# Long enough to scan from a second screen, short enough not to linger.
EXPORT_LIFETIME = 60


@user_errors
async def secret_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    args = context.args or []
    action = args[0].lower() if args else ""
    who, lng = person(user), lang(update, context)
    vault = context.services.vault
    if action == "add" and len(args) == 2:
        name = await offload(vault.check_new_name, who, args[1])
        await pending.expect_secret(context, user.id, name)
        await reply(update, text(lng, "secret.send_now", name=name))
    elif action == "add" and len(args) >= 3:
        if await offload(is_secret_alone, " ".join(args[1:])):
            # `/secret add KRSX G5CT MVRX EZLU`: the "name" is the secret's first group.
            await reply(update, text(lng, "secret.name_missing"), quote=False)
            return
        await _add(update, context, message, who, args[1], " ".join(args[2:]))
    elif action == "list" and len(args) == 1:
        for chunk in secret_list(lng, await offload(vault.list, who)):
            await reply(update, chunk)
    elif action == "remove" and len(args) == 2:
        info = await offload(vault.check_removable, who, args[1])
        markup = buttons.confirm(lng, "secret.remove", Kind.REMOVE, Kind.KEEP, info.id)
        await reply(update, text(lng, "secret.confirm_remove", name=info.name), markup=markup)
    elif action == "rename" and len(args) == 3:
        info = await offload(vault.rename, who, args[1], args[2])
        await reply(update, text(lng, "secret.renamed", name=info.name))
    elif action == "import" and len(args) >= 2:
        report = await offload(vault.import_texts, who, args[1:])
        await send_report(update, context, report)
    elif action == "export" and len(args) == 2:
        info = await offload(vault.check_exportable, who, args[1])
        markup = buttons.confirm(lng, "export.confirm", Kind.EXPORT, Kind.NO_EXPORT, info.id)
        await reply(
            update,
            text(lng, "export.confirm", name=info.name, seconds=EXPORT_LIFETIME),
            markup=markup,
        )
    elif action == "rotate" and len(args) >= 2:
        await rotation.rotate_command(update, context, who, args)
    elif action == "note" and len(args) >= 2:
        await note_command(update, context, message, who, args)
    else:
        quote = action not in {"add", "import", "rotate"}
        await reply(update, text(lng, "secret.usage"), quote=quote)


@user_errors
async def answer_sent(update: Update, context: BotContext) -> None:
    """A plain private message that answers a question the bot asked: the secret after
    `/secret add NAME` or the new key after `/secret rotate NAME` (both already deleted by
    the gate), a new name after an import, or the reason a code request needs
    (bot.chat.decisions)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    awaited = await pending.take(context, user.id)
    if awaited is None:
        return
    if awaited.waiting is Waiting.REASON:
        await decisions.reason_sent(update, context, awaited)
        return
    who = person(user)
    if awaited.waiting is Waiting.SECRET:
        await _add(update, context, message, who, str(awaited.subject), message.text or "")
        return
    if awaited.waiting is Waiting.ROTATION:
        account_id = int(awaited.subject)
        await rotation.key_sent(update, context, message, who, account_id, [message.text or ""])
        return
    info = await offload(
        context.services.vault.rename_by_id, who, int(awaited.subject), message.text or ""
    )
    await reply(update, text(lang(update, context), "secret.renamed", name=info.name))


@user_errors
async def export_pressed(update: Update, context: BotContext) -> None:
    """Owners only (the rules check): the QR and the link, protected, gone in 60 s."""
    query, user = update.callback_query, update.effective_user
    press = await buttons.read(update, context, Kind.EXPORT, Kind.NO_EXPORT)
    if press is None or query is None or user is None:
        return
    lng = lang(update, context)
    if press.kind is Kind.NO_EXPORT:
        await buttons.decline(query, lng)
        return
    exported = await offload(context.services.vault.export, person(user), press.subject)
    gone_at = context.runtime.clock() + EXPORT_LIFETIME
    await query.answer()
    name = exported.account.name
    qr = await offload(make_qr_png, exported.uri)
    picture = await press.message.reply_photo(
        qr,
        caption=text(lng, "export.caption", name=name, seconds=EXPORT_LIFETIME),
        protect_content=True,
        do_quote=False,
    )
    link = await press.message.reply_text(
        text(lng, "export.link", uri=exported.uri), protect_content=True, do_quote=False
    )
    await offload(
        context.services.cleanup.schedule,
        [(sent.chat_id, sent.message_id) for sent in (picture, link)],
        gone_at,
    )
    await query.edit_message_text(text(lng, "export.sent", name=name, seconds=EXPORT_LIFETIME))


async def _add(
    update: Update, context: BotContext, message: Message, who: Person, name: str, secret: str
) -> None:
    lng = lang(update, context)
    added = await offload(context.services.vault.add, who, name, secret)
    issued = added.issued
    body = text(
        lng,
        "secret.added",
        name=issued.account.name,
        issuer=issuer_suffix(lng, issued.account.issuer),
    )
    if added.short_secret:
        body = Html(body + "\n" + text(lng, "secret.short_warning", bits=added.secret_bits))
    await reply(update, body, quote=False)
    await send_code(context, Destination.of(message, quote=False), issued, lng)


@user_errors
async def remove_pressed(update: Update, context: BotContext) -> None:
    query, user = update.callback_query, update.effective_user
    press = await buttons.read(update, context, Kind.REMOVE, Kind.KEEP)
    if press is None or query is None or user is None:
        return
    lng, vault = lang(update, context), context.services.vault
    if press.kind is Kind.KEEP:
        info = await offload(vault.find, person(user), press.subject)
        await query.answer()
        await query.edit_message_text(text(lng, "secret.kept", name=info.name))
        return
    info = await offload(vault.remove, person(user), press.subject)
    await query.answer()
    await query.edit_message_text(text(lng, "secret.removed", name=info.name))
