"""/approve, /unapprove, /roster, the bot being added to or removed from a group, people
leaving a group, and group migration."""

from __future__ import annotations

import logging
import string

from telegram import ChatMember, ChatMemberRestricted, Update
from telegram.error import TelegramError

from bot.chat.context import BotContext
from bot.chat.failures import user_errors
from bot.chat.flood import Patience
from bot.chat.people import lang, person, place
from bot.chat.replies import reply
from bot.chat.worker import offload
from bot.messages import Html, language_for, text

logger = logging.getLogger(__name__)

# Seconds a passing failure of Telegram is tried again while an admin waits for the reply
# to `/roster on`: then they are told it could not be checked.
ASK_FOR = 10.0


@user_errors
async def approve_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    changed = await offload(context.services.groups.approve, person(user), place(message.chat))
    key = "chats.approved" if changed else "chats.already_approved"
    await reply(update, text(await spoken_in(context, message.chat.id, lang(update, context)), key))


@user_errors
async def unapprove_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    changed = await offload(context.services.groups.unapprove, person(user), place(message.chat))
    key = "chats.unapproved" if changed else "chats.not_approved"
    await reply(update, text(await spoken_in(context, message.chat.id, lang(update, context)), key))


async def spoken_in(context: BotContext, chat_id: int, speaker: str) -> str:
    """What the bot says to a whole group: in the language an admin set for it with
    /lang, else in that of whoever made it speak."""
    chosen = await offload(context.services.languages.of_group, chat_id)
    return language_for(chosen) if chosen else speaker


async def membership_changed(update: Update, context: BotContext) -> None:
    """The bot itself was added to or removed from a group (`my_chat_member`)."""
    change = update.my_chat_member
    if change is None or change.chat.type == change.chat.PRIVATE:
        return
    was_in = change.old_chat_member.status in _PRESENT
    is_in = change.new_chat_member.status in _PRESENT
    who = person(change.from_user)
    if is_in and not was_in:
        approved = await offload(context.services.groups.bot_added, who, place(change.chat))
        # Not approved: said once, however often the bot is added (it then stays quiet).
        if approved or await offload(context.services.limits.tell_unapproved, change.chat.id):
            key = "chats.approved" if approved else "chats.added_by_stranger"
            speaker = lang(update, context)  # whoever added it (the gate read their choice)
            said = text(await spoken_in(context, change.chat.id, speaker), key)
            await context.bot.send_message(change.chat.id, said)
    elif was_in and not is_in:
        await offload(context.services.groups.bot_removed, who, place(change.chat))
    elif change.old_chat_member.status in _ADMIN and change.new_chat_member.status not in _ADMIN:
        await offload(context.services.departures.bot_demoted, place(change.chat), by=who)


_PRESENT = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}
_ADMIN = {ChatMember.ADMINISTRATOR, ChatMember.OWNER}


async def migrated(update: Update, context: BotContext) -> None:
    """A group became a supergroup: its old id is dead, its approval moves to the new one."""
    message = update.message
    if message is None:
        return
    if message.migrate_to_chat_id is not None:
        await offload(context.services.groups.migrated, message.chat.id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id is not None:
        await offload(
            context.services.groups.migrated, message.migrate_from_chat_id, message.chat.id
        )


@user_errors
async def roster_command(update: Update, context: BotContext) -> None:
    """`/roster on|off`: whether leaving this group ends a person's access."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    lng, groups = lang(update, context), context.services.groups
    who, where = person(user), place(message.chat)
    words = [arg.strip(string.punctuation).lower() for arg in context.args or []]
    if words == ["on"]:
        # Telegram tells of people leaving only a bot that is an administrator there.
        admin = await _bot_is_admin(context, message.chat.id)
        changed = await offload(groups.set_roster, who, where, True, bot_is_admin=admin)
        await reply(update, text(lng, "roster.on" if changed else "roster.already_on"))
    elif words == ["off"]:
        changed = await offload(groups.set_roster, who, where, False)
        await reply(update, text(lng, "roster.off" if changed else "roster.already_off"))
    else:
        state = await offload(groups.roster_state, who, where)
        key = (
            "roster.state_not_approved"
            if state is None
            else "roster.state_on"
            if state
            else "roster.state_off"
        )
        await reply(update, Html(text(lng, key) + "\n\n" + text(lng, "roster.usage")))


async def _bot_is_admin(context: BotContext, chat_id: int) -> bool | None:
    """What Telegram says of the bot's own standing in the chat; None when it cannot say."""
    try:
        me = await context.bot.get_chat_member(
            chat_id, context.bot.id, rate_limit_args=Patience(retry_for=ASK_FOR)
        )
    except TelegramError as failure:
        logger.warning("could not ask for the bot's status in a group: %s", type(failure).__name__)
        return None
    return me.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


def is_present(member: ChatMember) -> bool:
    """In the chat: a restricted member is in it only while `is_member` says so."""
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)


async def member_changed(update: Update, context: BotContext) -> None:
    """Someone else's standing in a group changed (`chat_member`, sent to admin bots that
    ask for it). Leaving a roster group ends their access; joining grants nothing."""
    change = update.chat_member
    if change is None or change.chat.type == change.chat.PRIVATE:
        return
    if not is_present(change.old_chat_member) or is_present(change.new_chat_member):
        return
    gone = change.new_chat_member.user
    await offload(
        context.services.departures.left,
        person(gone),
        place(change.chat),
        by=person(change.from_user),
    )


async def member_left(update: Update, context: BotContext) -> None:
    """The service message of someone leaving, or being removed from, a group: the same
    leave as the `chat_member` update, where that came too (told once either way)."""
    message = update.message
    if message is None or message.left_chat_member is None:
        return
    gone = message.left_chat_member
    by = message.from_user
    await offload(
        context.services.departures.left,
        person(gone),
        place(message.chat),
        by=person(by) if by is not None else None,
    )
