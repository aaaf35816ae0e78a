"""The user directory: who the bot has seen, so admins can name people by @username."""

from __future__ import annotations

from bot.rules.core import Core
from bot.rules.model import Person


class Directory:
    def __init__(self, core: Core) -> None:
        self._core = core

    def seen(self, person: Person) -> None:
        if person.is_bot:
            return
        with self._core.store.transaction() as tx:
            tx.users.upsert(
                user_id=person.id,
                username=person.username,
                first_name=person.first_name,
                last_name=person.last_name,
                language_code=person.language_code,
                seen_at=self._core.now(),
            )

    def language_of(self, user_id: int) -> str | None:
        with self._core.store.transaction() as tx:
            known = tx.users.get(user_id)
            return None if known is None else known.language_code
