"""/notify and /audit."""

from __future__ import annotations

import re

from telegram import Update

from bot.chat.context import BotContext
from bot.chat.failures import user_errors
from bot.chat.people import lang, person
from bot.chat.replies import reply
from bot.chat.worker import offload
from bot.messages import text
from bot.reports import audit_list
from bot.rules.auditlog import DEFAULT_ENTRIES, MAX_ENTRIES, AuditFilter


@user_errors
async def notify_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    choice = (context.args or [""])[0].lower()
    if choice not in {"on", "off"} or len(context.args or []) != 1:
        await reply(update, text(lang(update, context), "notify.usage"))
        return
    await offload(context.services.roster.set_notify, person(user), choice == "on")
    await reply(update, text(lang(update, context), f"notify.{choice}"))


@user_errors
async def audit_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    asked = audit_request(context.args or [])
    if asked is None:
        await reply(update, text(lang(update, context), "audit.usage"))
        return
    count, only = asked
    entries = await offload(context.services.audit.latest, person(user), count, only)
    for chunk in audit_list(lang(update, context), entries, context.runtime.zone):
        await reply(update, chunk, quote=False)


_USERNAME = re.compile(r"@([A-Za-z0-9_]{1,32})")


def audit_request(args: list[str]) -> tuple[int, AuditFilter] | None:
    """`/audit [N] [admin] [denied] [@user]`, in any order, each at most once; None when
    the arguments are anything else."""
    count: int | None = None
    admin = denied = False
    username: str | None = None
    for arg in args:
        word = arg.lower()
        if word.isdecimal() and count is None and 1 <= int(word) <= MAX_ENTRIES:
            count = int(word)
        elif word == "admin" and not admin:
            admin = True
        elif word == "denied" and not denied:
            denied = True
        elif (match := _USERNAME.fullmatch(arg)) is not None and username is None:
            username = match.group(1)
        else:
            return None
    return count or DEFAULT_ENTRIES, AuditFilter(admin=admin, denied=denied, username=username)
