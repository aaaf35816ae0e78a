"""`/lang`: which language the bot speaks to a person, and to a whole group.

Telegram's `language_code` is the app's language, which is not always the reader's: a
Chinese-speaking seller may run Telegram in English. So anyone may choose for
themselves, in private; in a group, an admin chooses what the bot says to everyone there
(a group approved, a group told it is not). Replies to one person stay in theirs.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from bot.rules.access import Access
from bot.rules.auditlog import record
from bot.rules.clock import Clock, utc
from bot.rules.directory import Directory
from bot.rules.errors import InvalidInput, NotAllowed
from bot.rules.model import Person, Place, Role
from storage.store import Store

CHINESE, ENGLISH = "zh", "en"

# What people type for each choice; None: back to Telegram's language.
_WORDS: dict[str, str | None] = {
    **dict.fromkeys(
        ("zh", "cn", "zh-cn", "zh-hans", "chinese", "中文", "简体", "简体中文"), CHINESE
    ),
    **dict.fromkeys(("汉语", "普通话"), CHINESE),
    **dict.fromkeys(("en", "english", "英文", "英语"), ENGLISH),
    **dict.fromkeys(("auto", "default", "reset", "telegram", "自动", "默认"), None),
}


@dataclass(frozen=True)
class Choice:
    language: str | None  # None: Telegram's language (of each speaker, for a group)
    changed: bool


def chosen(word: str) -> str | None:
    """The language a word names; `InvalidInput` when it names none."""
    key = word.strip(string.punctuation + "，。！？“”‘’").lower().replace("_", "-")
    if key not in _WORDS:
        raise InvalidInput("lang.usage")
    return _WORDS[key]


class Languages:
    def __init__(self, store: Store, access: Access, clock: Clock, directory: Directory) -> None:
        self._store = store
        self._access = access
        self._clock = clock
        self._directory = directory

    def choose(self, person: Person, word: str) -> Choice:
        """Anyone's own language: what they choose costs nobody else anything."""
        language = chosen(word)
        return Choice(language, self._directory.choose(person, language))

    def choose_for_group(self, actor: Person, place: Place, word: str) -> Choice:
        if place.private:
            raise InvalidInput("chats.only_in_groups")
        language = chosen(word)
        with self._store.transaction() as tx:
            role = self._access.role(tx, actor.id)
            if role is None or not role.at_least(Role.ADMIN):
                raise NotAllowed("lang.group_admins_only")
            if tx.chat_languages.get(place.chat_id) == language:
                return Choice(language, changed=False)
            now = self._clock()
            tx.chat_languages.put(place.chat_id, language, actor.id, utc(now))
            record(
                tx,
                now,
                actor_id=actor.id,
                action="chat.language",
                chat_id=place.chat_id,
                params={"language": language or "auto"},
            )
            return Choice(language, changed=True)

    def of_group(self, chat_id: int) -> str | None:
        """The group's language, if an admin set one."""
        with self._store.looking() as tx:
            return tx.chat_languages.get(chat_id)

    def of_person(self, user_id: int) -> str | None:
        """What `/lang` with nothing after it shows: their choice, if any."""
        with self._store.looking() as tx:
            known = tx.users.get(user_id)
            return known.language if known is not None else None
