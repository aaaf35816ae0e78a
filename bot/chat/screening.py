"""Who gets an answer (`bot.rules.limits`): the gate asks here before anything is said.

A stranger past their few replies, or in a group nobody approved, is not answered; what
they asked for is still written to the audit log and told to the admins (coalesced), so
staying quiet hides nothing from the team. The team itself is always answered.
"""

from __future__ import annotations

import contextlib
from typing import NoReturn

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop

from bot.chat.commands import BY_NAME
from bot.chat.context import BotContext
from bot.chat.people import lang, person, place
from bot.chat.replies import delete, reply
from bot.chat.worker import offload
from bot.messages import text
from bot.rules.errors import NotAMember, TeamOtpError
from bot.rules.limits import Answer, Screening

_ANSWER = Screening(Answer.YES, None)


async def screen(
    update: Update, context: BotContext, message: Message, *, answerable: bool
) -> Screening:
    """Whether this message may be answered. Group messages that are neither a command nor
    a secret (service messages) get no answer anyway and are not counted; nor are bots,
    which are never answered, and anonymous admins, who are told once per message that
    they are (only a group's admins can post as the group)."""
    user = message.from_user
    if user is None or user.is_bot:
        return _ANSWER
    if not answerable and message.chat.type != message.chat.PRIVATE:
        return _ANSWER
    return await offload(context.services.limits.screen, user.id, place(message.chat))


def hushes_warnings(screening: Screening) -> bool:
    """A secret posted by a stranger who is not answered is deleted without a word."""
    return screening.answer is not Answer.YES


async def stay_quiet(
    update: Update,
    context: BotContext,
    message: Message,
    command: str | None,
    screening: Screening,
) -> NoReturn:
    """Record what was asked without answering it (after saying once, in a group that is
    not approved, that it is not)."""
    if screening.answer is Answer.TELL_NOT_APPROVED:
        await reply(update, text(lang(update, context), "limits.group_not_approved"))
    if message.photo or message.document:
        # An image may hold a secret: deleted, as the handler would have (rule 4).
        await delete(message, "an image that may hold a secret")
    user = message.from_user
    spec = BY_NAME.get(command) if command else None
    if user is not None and spec is not None:
        who, where = person(user), place(message.chat)
        if spec.name == "code":
            # Refused by the rules as a stranger's request always is, so it is audited
            # and told to the admins like one.
            with contextlib.suppress(TeamOtpError):
                await offload(context.services.codes.request, who, where, None)
        elif spec.role is not None:
            await offload(
                context.services.audit.refused, who, spec.name, where.chat_id, NotAMember(who.id)
            )
    raise ApplicationHandlerStop
