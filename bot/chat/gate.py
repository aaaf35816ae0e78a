"""The gate: runs before every other handler (group -1) for every update.

It records who was seen, keeps secrets out of chats (rule 4), ends the question
the bot asked someone when they send another command (bot.chat.pending), and refuses
commands the sender's role or the chat does not allow. It reads a message's command
exactly as python-telegram-bot's `CommandHandler` does, from the `bot_command` entity
Telegram marks at its start, so no command reaches a handler unchecked (`/members.` is
`/members`). The domain checks the role again for every action, so a handler that
slips past the gate still cannot act.
"""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass, field

from telegram import Message, MessageEntity, Update
from telegram.ext import ApplicationHandlerStop

from bot.chat import pending, screening
from bot.chat.commands import BY_NAME, Where
from bot.chat.context import BotContext
from bot.chat.people import is_anonymous, lang, person
from bot.chat.render import error
from bot.chat.replies import delete, reply
from bot.chat.worker import offload
from bot.messages import text
from bot.rules import detector
from bot.rules.errors import TeamOtpError
from bot.rules.limits import Answer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Dispatch:
    """The command a `CommandHandler` runs for a message, and the args it passes."""

    name: str  # lower case, without the "/" and the "@botname"
    args: tuple[str, ...]
    # What follows the command in the text, punctuation glued to it included (":add…").
    after: str = field(default="", compare=False)
    # Named this bot (`/code@ThisBot`): in a group, a bare `/foo` may be another bot's.
    addressed: bool = field(default=False, compare=False)


def dispatched(message: Message, bot_username: str) -> Dispatch | None:
    """What python-telegram-bot's `CommandHandler.check_update` reads from `message`,
    step by step: a `bot_command` entity at offset 0 of the text (not a caption), the
    command cut from the text by the entity's length (so `/members.` is `members`),
    an `@name` after it that must be this bot's, and the args split from the whole text
    (so `/secret:add NAME X` has the args `NAME X`)."""
    entities, body = message.entities, message.text
    if not (
        entities
        and entities[0].type == MessageEntity.BOT_COMMAND
        and entities[0].offset == 0
        and body
    ):
        return None
    name, *addressed = body[1 : entities[0].length].split("@")
    addressee = addressed[0] if addressed else bot_username
    if addressee.lower() != bot_username.lower():
        return None
    return Dispatch(
        name.lower(), tuple(body.split()[1:]), body[entities[0].length :], bool(addressed)
    )


def sent_message(update: Update) -> Message | None:
    """The message someone sent, edited or posted that the update brings, of any kind
    (`message`, `edited_message`, a channel or business post...): what handlers act on.
    A button press carries the bot's own message instead, which is nobody's input."""
    if update.callback_query is not None:
        return None
    return update.effective_message


def typed(message: Message) -> str:
    """Everything the sender typed into a message: its text or caption, and the links
    behind words (a `text_link` can hide an otpauth:// link)."""
    links = [e.url for e in (*message.entities, *message.caption_entities) if e.url]
    return "\n".join([message.text or message.caption or "", *links])


def meant_to_carry_secret(dispatch: Dispatch) -> bool:
    """`/secret add NAME SECRET`, `/secret rotate NAME SECRET` and `/secret import LINK`
    carry a secret by design, also one the detector does not recognise (a mistyped secret
    is still most of one), and also written `/secret:add NAME SECRET`, which the handler
    does not take for an add."""
    if dispatch.name != "secret":
        return False
    words = dispatch.after.split()
    if words:
        words[0] = words[0].lstrip(string.punctuation)
    words = [word for word in words if word]
    if not words:
        return False
    action, count = words[0].lower(), len(words)
    return (action in ("add", "rotate") and count >= 3) or (action == "import" and count >= 2)


async def gate(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is not None and not user.is_bot:
        context.spoken = await offload(context.services.directory.seen, person(user))
    message = sent_message(update)
    if message is None:
        # The bot being added or removed counts whoever did it, also an anonymous admin;
        # a button press by a bot is never acted on.
        if user is not None and user.is_bot and update.callback_query is not None:
            raise ApplicationHandlerStop
        return
    dispatch = dispatched(message, context.bot.username)
    # An edit is read for secrets like a new message, but it answers no question the
    # bot asked and runs no command: editing an old message is not sending a new one.
    edited = message.edit_date is not None
    # Only a plain private message can answer a question: nothing else pays to look it up.
    awaiting = (
        user is not None
        and not edited
        and message.chat.type == message.chat.PRIVATE
        and not _looks_like_command(message)
        and bool(message.text or message.caption)
        and await pending.awaits_secret(context, user.id)
    )
    carries = await offload(detector.carries_secret, typed(message)) or (
        meant_to_carry_secret(dispatch) if dispatch is not None else awaiting
    )
    command = None if edited or dispatch is None else dispatch.name
    private = message.chat.type == message.chat.PRIVATE
    # A bare `/foo` in a group is another bot's: it costs nobody their few replies.
    for_this_bot = dispatch is not None and (
        dispatch.name in BY_NAME or private or dispatch.addressed
    )
    screened = await screening.screen(
        update, context, message, answerable=bool((command and for_this_bot) or carries)
    )
    if carries:  # whoever posted it, anonymous or not
        unasked = edited or (dispatch is None and not awaiting)
        await _contain_secret(
            update,
            context,
            message,
            unasked=unasked,
            quiet=screening.hushes_warnings(screened),
        )
    if edited:
        raise ApplicationHandlerStop
    if screened.answer is not Answer.YES:
        await screening.stay_quiet(update, context, message, command, screened)
    if dispatch is None:
        return  # service messages (a group's migration) may come "from" a bot too
    if user is not None and dispatch.name != "cancel":
        # /cancel says whether there was a question; `/secret add` asks anew after this.
        await pending.end(context, user.id)
    spec = BY_NAME.get(dispatch.name)
    if not for_this_bot:
        raise ApplicationHandlerStop
    if is_anonymous(message):
        # Checked before `is_bot`: Telegram sends these "from" GroupAnonymousBot.
        await reply(update, text(lang(update, context), "access.anonymous"))
        raise ApplicationHandlerStop
    if user is None or user.is_bot:  # a channel, or another bot: never act for them
        raise ApplicationHandlerStop
    if spec is None:
        # Not echoed: a mistyped command may be a pasted secret (`/JBSW…`).
        await reply(update, text(lang(update, context), "access.unknown_command"))
        raise ApplicationHandlerStop
    if spec.role is not None:
        try:
            await offload(context.services.access.require_role, user.id, spec.role)
        except TeamOtpError as refused:
            await offload(
                context.services.audit.refused,
                person(user),
                dispatch.name,
                message.chat.id,
                refused,
            )
            await reply(update, error(lang(update, context), refused))
            raise ApplicationHandlerStop from None
    if spec.where is Where.PRIVATE and not private:
        await reply(update, text(lang(update, context), "access.private_only"))
        raise ApplicationHandlerStop
    if spec.where is Where.GROUP and private:
        await reply(update, text(lang(update, context), "access.group_only"))
        raise ApplicationHandlerStop


def _looks_like_command(message: Message) -> bool:
    """What `filters.COMMAND` checks: the answer to a question is never a command, also
    not one addressed to another bot."""
    first = message.entities[0] if message.entities else None
    return first is not None and first.type == MessageEntity.BOT_COMMAND and first.offset == 0


async def _contain_secret(
    update: Update, context: BotContext, message: Message, *, unasked: bool, quiet: bool
) -> None:
    """Delete a message that may hold a secret as soon as it is read (rule 4).

    `unasked`: in private, a secret with no `/secret add` to go with it (pasted on its
    own, or edited into an old message): the sender is told why it went.
    `quiet`: deleted without a word (a stranger past their replies)."""
    deleted = await delete(message, "a message that may hold a secret")
    if quiet:
        raise ApplicationHandlerStop
    lng = lang(update, context)
    if message.chat.type == message.chat.PRIVATE:
        if not deleted:
            logger.warning("could not delete a private message that may hold a secret")
        if unasked:
            await reply(update, text(lng, "secret.unasked"), quote=False)
            raise ApplicationHandlerStop
        return
    note = text(lng, "secret.in_group_deleted" if deleted else "secret.in_group_not_deleted")
    await reply(update, text(lng, "secret.in_group", deleted=note), quote=not deleted)
    if update.effective_user is not None:
        await pending.end(context, update.effective_user.id)
    raise ApplicationHandlerStop
