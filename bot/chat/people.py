"""Turning Telegram's users and chats into the domain's `Person` and `Place`."""

from __future__ import annotations

from telegram import Chat, Message, Update, User

from bot.chat.context import BotContext
from bot.messages import language_for
from bot.rules.model import Person, Place

# Telegram's stand-in sender for anonymous group admins: the real person is unknown.
ANONYMOUS_ADMIN_ID = 1087968824


def person(user: User) -> Person:
    return Person(
        id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
        is_bot=user.is_bot,
    )


def place(chat: Chat) -> Place:
    return Place(chat_id=chat.id, private=chat.type == Chat.PRIVATE, title=chat.title)


def lang(update: Update, context: BotContext) -> str:
    """The sender's language: the one they chose with /lang (the gate read it), else the
    one their Telegram app is set to."""
    user = update.effective_user
    return language_for(context.spoken or (user.language_code if user else None))


def is_anonymous(message: Message) -> bool:
    """A post made "as the group" (anonymous admin) or as a channel: nobody to authorize."""
    sender = message.from_user
    return (sender is not None and sender.id == ANONYMOUS_ADMIN_ID) or (
        message.sender_chat is not None
    )
