"""Who an admin command is about: a replied-to message, a text mention, an id or an @username."""

from __future__ import annotations

from telegram import Message, MessageEntity

from bot.chat.people import ANONYMOUS_ADMIN_ID, person
from bot.rules.model import Target

# Telegram user ids have at most 52 significant bits; anything longer is a typo (and would
# not fit the database's 64-bit integer either).
MAX_USER_ID = 2**53 - 1


def parse_target(message: Message) -> tuple[Target | None, list[str]]:
    """The target, and the words left over (account names)."""
    content = message.text or ""
    words = content.split()[1:]  # drop the command itself
    replied = message.reply_to_message
    # In forum topics every message "replies" to the topic's opening service message.
    if (
        replied is not None
        and replied.from_user is not None
        and replied.forum_topic_created is None
        and replied.from_user.id != ANONYMOUS_ADMIN_ID
    ):
        return Target(person=person(replied.from_user)), words
    for entity in message.entities:
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            rest = _without(content, entity).split()[1:]
            return Target(person=person(entity.user)), rest
    if not words:
        return None, []
    first, rest = words[0], words[1:]
    if first.startswith("@") and len(first) > 1:
        return Target(username=first[1:]), rest
    if first.isascii() and first.isdecimal() and 0 < int(first) <= MAX_USER_ID:
        return Target(user_id=int(first)), rest
    return None, words


def _without(content: str, entity: MessageEntity) -> str:
    """The text with the entity's span blanked out (entity offsets count UTF-16 units)."""
    encoded = content.encode("utf-16-le")
    start, end = 2 * entity.offset, 2 * (entity.offset + entity.length)
    return (encoded[:start] + " ".encode("utf-16-le") + encoded[end:]).decode("utf-16-le")
