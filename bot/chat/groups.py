"""/approve, /unapprove, the bot being added to or removed from a group, and group migration."""

from __future__ import annotations

from telegram import ChatMember, Update

from bot.chat.context import BotContext
from bot.chat.failures import user_errors
from bot.chat.people import lang, person, place
from bot.chat.replies import reply
from bot.chat.worker import offload
from bot.messages import language_for, text


@user_errors
async def approve_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    changed = await offload(context.services.groups.approve, person(user), place(message.chat))
    await reply(
        update, text(lang(update), "chats.approved" if changed else "chats.already_approved")
    )


@user_errors
async def unapprove_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    changed = await offload(context.services.groups.unapprove, person(user), place(message.chat))
    await reply(update, text(lang(update), "chats.unapproved" if changed else "chats.not_approved"))


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
            await context.bot.send_message(
                change.chat.id, text(language_for(change.from_user.language_code), key)
            )
    elif was_in and not is_in:
        await offload(context.services.groups.bot_removed, who, place(change.chat))


_PRESENT = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}


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
