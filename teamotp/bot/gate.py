"""The gate: runs before every other handler (group -1) for every update.

It records who was seen, keeps secrets out of chats (rule 4), and refuses
commands the sender's role or the chat does not allow. The domain checks the
role again for every action, so a handler that slips past the gate still
cannot act.
"""

from __future__ import annotations

import logging
import re

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from teamotp.bot.commands import BY_NAME, Where
from teamotp.bot.context import BotContext
from teamotp.bot.people import is_anonymous, lang, person
from teamotp.bot.replies import reply
from teamotp.bot.secrets import AWAITING_SECRET
from teamotp.domain.errors import NotAMember
from teamotp.messages import text

logger = logging.getLogger(__name__)

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@(\w+))?(?:\s|$)")
# Base32 runs as sites print them, or a link: what a secret looks like in a message.
_SECRET_LINK = re.compile(r"otpauth(?:-migration)?://", re.IGNORECASE)


def command_of(message: Message, bot_username: str) -> str | None:
    match = _COMMAND.match(message.text or message.caption or "")
    if match is None:
        return None
    addressed_to = match.group(2)
    if addressed_to is not None and addressed_to.lower() != bot_username.lower():
        return None
    return match.group(1).lower()


def carries_secret(message: Message, command: str | None, awaiting_secret: bool) -> bool:
    content = message.text or message.caption or ""
    if _SECRET_LINK.search(content):
        return True
    if command == "secret":
        words = content.split()
        return len(words) >= 3 and words[1].lower() in {"add", "import"}
    return awaiting_secret and command is None and message.chat.type == message.chat.PRIVATE


async def gate(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    if user.is_bot:  # other bots in a group: never act on their behalf
        raise ApplicationHandlerStop
    context.services.directory.seen(person(user))
    message = update.message
    if message is None:
        return
    command = command_of(message, context.bot.username)
    awaiting = bool(context.user_data and context.user_data.get(AWAITING_SECRET))
    if carries_secret(message, command, awaiting):
        await _contain_secret(update, context, message)
    if command is None:
        return
    spec = BY_NAME.get(command)
    if spec is None:
        raise ApplicationHandlerStop
    if is_anonymous(message):
        await reply(update, text(lang(update), "access.anonymous"))
        raise ApplicationHandlerStop
    if spec.role is not None:
        role = context.services.core.role_of(user.id)
        if role is None:
            failure = NotAMember(user.id)
            await reply(update, text(lang(update), failure.key, **failure.params))
            raise ApplicationHandlerStop
        if not role.at_least(spec.role):
            context.services.audit.refused(person(user), command, message.chat.id)
            key = "access.owner_only" if spec.role.value == "owner" else "access.admin_only"
            await reply(update, text(lang(update), key))
            raise ApplicationHandlerStop
    private = message.chat.type == message.chat.PRIVATE
    if spec.where is Where.PRIVATE and not private:
        await reply(update, text(lang(update), "access.private_only"))
        raise ApplicationHandlerStop
    if spec.where is Where.GROUP and private:
        await reply(update, text(lang(update), "access.group_only"))
        raise ApplicationHandlerStop


async def _contain_secret(update: Update, context: BotContext, message: Message) -> None:
    """Delete a message that may hold a secret as soon as it is read (rule 4)."""
    deleted = await _try_delete(message)
    if message.chat.type == message.chat.PRIVATE:
        if not deleted:
            logger.warning("could not delete a private message that may hold a secret")
        return
    lng = lang(update)
    note = text(lng, "secret.in_group_deleted" if deleted else "secret.in_group_not_deleted")
    await reply(update, text(lng, "secret.in_group", deleted=note), quote=not deleted)
    if context.user_data:
        context.user_data.pop(AWAITING_SECRET, None)
    raise ApplicationHandlerStop


async def _try_delete(message: Message) -> bool:
    try:
        return await message.delete()
    except TelegramError as failure:
        logger.info("could not delete a message: %s", type(failure).__name__)
        return False
