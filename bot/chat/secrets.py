"""/secret add|list|remove|rename, and the secret sent on its own after `/secret add NAME`.

The gate has already deleted any message that carries a secret by the time
these run, so replies never quote it.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.chat.context import BotContext
from bot.chat.delivery import send_code
from bot.chat.failures import user_errors
from bot.chat.intake import AWAITING_RENAME, send_report
from bot.chat.people import lang, person
from bot.chat.render import secret_list
from bot.chat.replies import reply
from bot.messages import Html, plain, text
from bot.rules.model import Person
from bot.rules.qrcodes import make_qr_png

AWAITING_SECRET = "awaiting_secret_for"  # noqa: S105 - a user_data key, not a secret
REMOVE_PREFIX = "rm:"
KEEP_PREFIX = "keep:"
EXPORT_PREFIX = "exp:"
NO_EXPORT_PREFIX = "noexp:"
# Long enough to scan from a second screen, short enough not to linger.
EXPORT_LIFETIME = 60


@user_errors
async def secret_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    args = context.args or []
    action = args[0].lower() if args else ""
    who, lng = person(user), lang(update)
    if action == "add" and len(args) == 2:
        name = context.services.vault.prepare(who, args[1])
        context.user_data[AWAITING_SECRET] = name  # type: ignore[index]
        await reply(update, text(lng, "secret.send_now", name=name))
    elif action == "add" and len(args) >= 3:
        await _add(update, context, message, who, args[1], " ".join(args[2:]))
    elif action == "list" and len(args) == 1:
        for chunk in secret_list(lng, context.services.vault.list(who)):
            await reply(update, chunk)
    elif action == "remove" and len(args) == 2:
        info = context.services.vault.check_removable(who, args[1])
        markup = _confirm(lng, "secret.remove", REMOVE_PREFIX, KEEP_PREFIX, info.id)
        await reply(update, text(lng, "secret.confirm_remove", name=info.name), markup=markup)
    elif action == "rename" and len(args) == 3:
        info = context.services.vault.rename(who, args[1], args[2])
        await reply(update, text(lng, "secret.renamed", name=info.name))
    elif action == "import" and len(args) >= 2:
        report = context.services.vault.import_texts(who, args[1:])
        await send_report(update, context, report)
    elif action == "export" and len(args) == 2:
        info = context.services.vault.check_exportable(who, args[1])
        markup = _confirm(lng, "export.confirm", EXPORT_PREFIX, NO_EXPORT_PREFIX, info.id)
        await reply(
            update,
            text(lng, "export.confirm", name=info.name, seconds=EXPORT_LIFETIME),
            markup=markup,
        )
    else:
        await reply(update, text(lng, "secret.usage"), quote=action not in {"add", "import"})


def _confirm(lng: str, keys: str, yes: str, no: str, account_id: int) -> InlineKeyboardMarkup:
    """Two buttons, `{keys}_yes` and `{keys}_no`, for a step that cannot be undone."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(text(lng, f"{keys}_yes"), callback_data=f"{yes}{account_id}"),
                InlineKeyboardButton(text(lng, f"{keys}_no"), callback_data=f"{no}{account_id}"),
            ]
        ]
    )


@user_errors
async def secret_sent(update: Update, context: BotContext) -> None:
    """A plain private message that answers a question the bot asked: the secret after
    `/secret add NAME` (already deleted by the gate), or a new name after an import."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not context.user_data:
        return
    name = context.user_data.pop(AWAITING_SECRET, None)
    if name is not None:
        await _add(update, context, message, person(user), name, message.text or "")
        return
    account_id = context.user_data.pop(AWAITING_RENAME, None)
    if account_id is not None:
        info = context.services.vault.rename_by_id(person(user), account_id, message.text or "")
        await reply(update, text(lang(update), "secret.renamed", name=info.name))


@user_errors
async def export_pressed(update: Update, context: BotContext) -> None:
    """Owners only (the domain checks): the QR and the link, protected, gone in 60 s."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    anchor = query.message
    lng = lang(update)
    if query.data.startswith(NO_EXPORT_PREFIX) or not isinstance(anchor, Message):
        await query.answer()
        await query.edit_message_text(text(lng, "cancel.done"))
        return
    try:
        account_id = int(query.data.removeprefix(EXPORT_PREFIX))
    except ValueError:
        await query.answer(plain(text(lng, "error.button_expired")), show_alert=True)
        return
    exported = context.services.vault.export(person(user), account_id)
    gone_at = context.runtime.clock() + EXPORT_LIFETIME
    await query.answer()
    name = exported.account.name
    picture = await anchor.reply_photo(
        make_qr_png(exported.uri),
        caption=text(lng, "export.caption", name=name, seconds=EXPORT_LIFETIME),
        protect_content=True,
        do_quote=False,
    )
    link = await anchor.reply_text(
        text(lng, "export.link", uri=exported.uri), protect_content=True, do_quote=False
    )
    for sent in (picture, link):
        context.services.cleanup.schedule(sent.chat_id, sent.message_id, gone_at)
    await query.edit_message_text(text(lng, "export.sent", name=name, seconds=EXPORT_LIFETIME))


async def _add(
    update: Update, context: BotContext, message: Message, who: Person, name: str, secret: str
) -> None:
    lng = lang(update)
    added = context.services.vault.add(who, name, secret)
    issued = added.issued
    issuer = f" ({issued.account.issuer})" if issued.account.issuer else ""
    body = text(lng, "secret.added", name=issued.account.name, issuer=issuer)
    if added.short_secret:
        body = Html(body + "\n" + text(lng, "secret.short_warning", bits=added.secret_bits))
    await reply(update, body, quote=False)
    await send_code(context, message, issued, lng, quote=False)


@user_errors
async def remove_pressed(update: Update, context: BotContext) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    lng = lang(update)
    keep = query.data.startswith(KEEP_PREFIX)
    try:
        account_id = int(query.data.removeprefix(KEEP_PREFIX if keep else REMOVE_PREFIX))
    except ValueError:
        await query.answer(plain(text(lng, "error.button_expired")), show_alert=True)
        return
    vault = context.services.vault
    if keep:
        info = vault.keep(person(user), account_id)
        await query.answer()
        await query.edit_message_text(text(lng, "secret.kept", name=info.name))
        return
    info = vault.remove(person(user), account_id)
    await query.answer()
    await query.edit_message_text(text(lng, "secret.removed", name=info.name))
