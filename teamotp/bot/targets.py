"""Who an admin command is about: a replied-to message, a text mention, an id or an @username."""

from __future__ import annotations

from telegram import Message, MessageEntity

from teamotp.bot.people import ANONYMOUS_ADMIN_ID, person
from teamotp.domain.model import Target


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
            mentioned = message.parse_entity(entity)
            rest = content.replace(mentioned, " ", 1).split()[1:]
            return Target(person=person(entity.user)), rest
    if not words:
        return None, []
    first, rest = words[0], words[1:]
    if first.startswith("@") and len(first) > 1:
        return Target(username=first[1:]), rest
    if first.isdecimal() and int(first) > 0:
        return Target(user_id=int(first)), rest
    return None, words
