"""/start, /help, /claim and /cancel: open to everyone."""

from __future__ import annotations

import logging

from telegram import Chat, Update

from bot.chat.context import BotContext
from bot.chat.failures import user_errors
from bot.chat.intake import AWAITING_RENAME
from bot.chat.people import lang, person
from bot.chat.replies import reply
from bot.chat.secrets import AWAITING_SECRET
from bot.messages import Html, text
from bot.rules.model import Role

logger = logging.getLogger(__name__)


async def help_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    lng = lang(update)
    role = context.services.core.role_of(user.id)
    parts = [text(lng, "help.header", user_id=user.id)]
    if role is None:
        parts.append(text(lng, "help.stranger"))
        private = update.effective_chat is not None and update.effective_chat.type == Chat.PRIVATE
        if private and not context.services.bootstrap.has_owner():  # /claim is private only
            parts.append(text(lng, "help.claim"))
    elif role is Role.MEMBER:
        parts.append(text(lng, "help.member"))
    else:
        lines = [text(lng, f"help.{role.value}_role"), text(lng, "help.admin")]
        if role is Role.OWNER:
            lines.append(text(lng, "help.owner"))
        parts.append(Html("\n".join(lines)))
    await reply(update, Html("\n\n".join(parts)))


@user_errors
async def claim_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    if not context.args or len(context.args) != 1:
        await reply(update, text(lang(update), "claim.usage"))
        return
    context.services.bootstrap.claim(person(user), context.args[0])
    logger.warning("user %s claimed ownership of the bot", user.id)
    await reply(update, text(lang(update), "claim.done"))


async def cancel_command(update: Update, context: BotContext) -> None:
    pending = [
        context.user_data.pop(key, None) if context.user_data else None
        for key in (AWAITING_SECRET, AWAITING_RENAME)
    ]
    await reply(update, text(lang(update), "cancel.done" if any(pending) else "cancel.nothing"))
