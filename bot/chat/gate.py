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
from telegram.ext import ApplicationHandlerStop

from bot.chat import pending, screening
from bot.chat.commands import BY_NAME, Where
from bot.chat.context import BotContext
from bot.chat.people import is_anonymous, lang, person
from bot.chat.render import error
from bot.chat.replies import delete, reply
from bot.chat.worker import offload
from bot.messages import text
from bot.rules.errors import TeamOtpError
from bot.rules.limits import Answer
from bot.rules.names import looks_like_secret

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
    words = content.split()
    if command == "secret":
        # `/secret add NAME SECRET...`; with one word after `add`, only when that word is a
        # secret (the name was left out): `/secret add NAME` alone must raise no alarm.
        if len(words) < 3 or words[1].lower() not in {"add", "import"}:
            return False
        return len(words) >= 4 or words[1].lower() == "import" or looks_like_secret(words[2])
    if command is not None or message.chat.type != message.chat.PRIVATE:
        return False
    return awaiting_secret or looks_like_secret("".join(words))


async def gate(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    if not user.is_bot:
        await offload(context.services.directory.seen, person(user))
    message = update.message
    if message is None:
        # The bot being added or removed counts whoever did it, also an anonymous admin;
        # a button press by a bot is never acted on.
        if user.is_bot and update.callback_query is not None:
            raise ApplicationHandlerStop
        return
    command = command_of(message, context.bot.username)
    waiting = pending.current(context)
    awaiting = waiting is not None and waiting.waiting is pending.Waiting.SECRET
    secret = carries_secret(message, command, awaiting)
    screened = await screening.screen(update, context, message, answerable=bool(command or secret))
    if secret:  # whoever posted it, anonymous or not
        await _contain_secret(
            update,
            context,
            message,
            unasked=command is None and not awaiting,
            quiet=screening.hushes_warnings(screened),
        )
    if screened.answer is not Answer.YES:
        await screening.stay_quiet(update, context, message, command, screened)
    if command is None:
        return  # service messages (a group's migration) may come "from" a bot too
    spec = BY_NAME.get(command)
    if spec is None:
        raise ApplicationHandlerStop
    if is_anonymous(message):
        # Checked before `is_bot`: Telegram sends these "from" GroupAnonymousBot.
        await reply(update, text(lang(update), "access.anonymous"))
        raise ApplicationHandlerStop
    if user.is_bot:  # other bots in a group: never act on their behalf
        raise ApplicationHandlerStop
    if spec.role is not None:
        try:
            await offload(context.services.access.require_role, user.id, spec.role)
        except TeamOtpError as refused:
            await offload(
                context.services.audit.refused, person(user), command, message.chat.id, refused
            )
            await reply(update, error(lang(update), refused))
            raise ApplicationHandlerStop from None
    private = message.chat.type == message.chat.PRIVATE
    if spec.where is Where.PRIVATE and not private:
        await reply(update, text(lang(update), "access.private_only"))
        raise ApplicationHandlerStop
    if spec.where is Where.GROUP and private:
        await reply(update, text(lang(update), "access.group_only"))
        raise ApplicationHandlerStop


async def _contain_secret(
    update: Update, context: BotContext, message: Message, *, unasked: bool, quiet: bool
) -> None:
    """Delete a message that may hold a secret as soon as it is read (rule 4).

    `unasked`: a bare secret pasted in private with no `/secret add` to go with it.
    `quiet`: deleted without a word (a stranger past their replies)."""
    deleted = await delete(message, "a message that may hold a secret")
    if quiet:
        raise ApplicationHandlerStop
    lng = lang(update)
    if message.chat.type == message.chat.PRIVATE:
        if not deleted:
            logger.warning("could not delete a private message that may hold a secret")
        if unasked:
            await reply(update, text(lng, "secret.unasked"), quote=False)
            raise ApplicationHandlerStop
        return
    note = text(lng, "secret.in_group_deleted" if deleted else "secret.in_group_not_deleted")
    await reply(update, text(lng, "secret.in_group", deleted=note), quote=not deleted)
    pending.cancel(context)
    raise ApplicationHandlerStop
