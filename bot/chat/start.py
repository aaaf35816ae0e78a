"""/start, /help, /claim and /cancel: open to everyone."""

from __future__ import annotations

import logging

from telegram import Chat, Update

from bot.chat import pending, privately, rotation
from bot.chat.context import BotContext
from bot.chat.failures import user_errors
from bot.chat.people import lang, person
from bot.chat.replies import reply
from bot.chat.worker import offload
from bot.messages import Html, text
from bot.rules.deliveries import is_link
from bot.rules.model import Role

logger = logging.getLogger(__name__)


async def start_command(update: Update, context: BotContext) -> None:
    """/start; with the token of a code deferred until this person opened the private chat
    (a link from a group, `bot.chat.privately`), that code first, then the help. Any other
    payload (a stranger's `/start hello`, a mangled link) is plain /start."""
    chat, args = update.effective_chat, context.args or []
    if chat is not None and chat.type == Chat.PRIVATE and len(args) == 1 and is_link(args[0]):
        await privately.redeem(update, context, args[0])
    await help_command(update, context)


async def help_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    lng = lang(update, context)
    role = await offload(context.services.access.role_of, user.id)
    parts = [text(lng, "help.header", user_id=user.id)]
    if role is None:
        parts.append(text(lng, "help.stranger"))
        private = update.effective_chat is not None and update.effective_chat.type == Chat.PRIVATE
        if private and not await offload(
            context.services.bootstrap.has_owner
        ):  # /claim is private only
            parts.append(text(lng, "help.claim"))
    elif role is Role.MEMBER:
        parts.append(text(lng, "help.member"))
    else:
        lines = [text(lng, f"help.{role.value}_role"), text(lng, "help.admin")]
        if role is Role.OWNER:
            lines.append(text(lng, "help.owner"))
        parts.append(Html("\n".join(lines)))
    parts.append(text(lng, "help.language"))
    await reply(update, Html("\n\n".join(parts)))


@user_errors
async def claim_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    if not context.args or len(context.args) != 1:
        await reply(update, text(lang(update, context), "claim.usage"))
        return
    await offload(context.services.bootstrap.claim, person(user), context.args[0])
    logger.warning("user %s claimed ownership of the bot", user.id)
    await reply(update, text(lang(update, context), "claim.done"))


async def cancel_command(update: Update, context: BotContext) -> None:
    """Leaves the question the bot asked, and any change of key this person started that
    still waits for confirmation (the old keys stay)."""
    user = update.effective_user
    waiting = user is not None and await pending.cancel(context, user.id)
    dropped = [] if user is None else await rotation.cancel_started(context, user)
    lng = lang(update, context)
    if dropped:
        await reply(update, text(lng, "rotate.cancelled_by_command", names=tuple(dropped)))
        return
    await reply(update, text(lng, "cancel.done" if waiting else "cancel.nothing"))
