"""/notify and /audit."""

from __future__ import annotations

from telegram import Update

from bot.chat.context import BotContext
from bot.chat.failures import user_errors
from bot.chat.people import lang, person
from bot.chat.render import audit_list
from bot.chat.replies import reply
from bot.chat.worker import offload
from bot.messages import text
from bot.rules.auditlog import DEFAULT_ENTRIES, MAX_ENTRIES


@user_errors
async def notify_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    choice = (context.args or [""])[0].lower()
    if choice not in {"on", "off"} or len(context.args or []) != 1:
        await reply(update, text(lang(update), "notify.usage"))
        return
    await offload(context.services.roster.set_notify, person(user), choice == "on")
    await reply(update, text(lang(update), f"notify.{choice}"))


@user_errors
async def audit_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    args = context.args or []
    count = DEFAULT_ENTRIES
    if args:
        if len(args) > 1 or not args[0].isdecimal() or not 1 <= int(args[0]) <= MAX_ENTRIES:
            await reply(update, text(lang(update), "audit.usage"))
            return
        count = int(args[0])
    entries = await offload(context.services.audit.latest, person(user), count)
    for chunk in audit_list(lang(update), entries):
        await reply(update, chunk, quote=False)
