"""The user directory: who the bot has seen, so admins can name people by @username.

Every update passes through here, so it writes only when something changed: a new
name, username or language, or a `last_seen` older than `REFRESH` (it says roughly
when someone was last around, not to the second). What it last wrote is remembered
per person, so a member asking for codes all day costs no database call at all.

It also knows the language each person chose with /lang, which every reply to them is
in. Where other replicas share the store, one of them may have taken the choice: there
it is read with every update (one unlocked look, no write).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from bot.rules.clock import Clock, utc
from bot.rules.model import Person
from storage.store import Store

REFRESH = 3600.0  # seconds between `last_seen` updates for an unchanged person
REMEMBERED = 10_000  # people whose last write is kept in memory (the least recent go first)

_Profile = tuple[str | None, str, str | None, str | None]


@dataclass(frozen=True)
class _Written:
    profile: _Profile
    at: float
    language: str | None  # chosen with /lang


def _profile(person: Person) -> _Profile:
    return (person.username, person.first_name, person.last_name, person.language_code)


class Directory:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._written: OrderedDict[int, _Written] = OrderedDict()
        self._lock = threading.Lock()  # the rules run on worker threads

    def seen(self, person: Person) -> str | None:
        """Keeps `person` in the directory; returns the language they chose (None: none)."""
        if person.is_bot:
            return None
        profile, now = _profile(person), self._clock()
        with self._lock:
            last = self._written.get(person.id)
        if last is not None and last.profile == profile and now - last.at < REFRESH:
            if not self._store.shared:
                return last.language
            with self._store.looking() as tx:
                known = tx.users.get(person.id)
                if known is not None:
                    return known.language
        with self._store.transaction() as tx:
            known = tx.users.get(person.id)
            current = known is not None and (
                (known.username, known.first_name, known.last_name, known.language_code) == profile
            )
            if known is not None and current and now - known.last_seen.timestamp() < REFRESH:
                written_at = known.last_seen.timestamp()
            else:
                tx.users.upsert(
                    user_id=person.id,
                    username=person.username,
                    first_name=person.first_name,
                    last_name=person.last_name,
                    language_code=person.language_code,
                    seen_at=utc(now),
                )
                written_at = now
                known = tx.users.get(person.id)
            language = known.language if known is not None else None
        self._remember(person.id, _Written(profile, written_at, language))
        return language

    def choose(self, person: Person, language: str | None) -> bool:
        """`/lang`: what they are told from now on (None: Telegram's language again).
        Returns False when it was so already."""
        self.seen(person)  # the row to keep it in
        with self._store.transaction() as tx:
            known = tx.users.get(person.id)
            if known is None or known.language == language:
                return False
            tx.users.set_language(known, language)
        self.forget(person.id)
        return True

    def _remember(self, user_id: int, written: _Written) -> None:
        with self._lock:
            self._written[user_id] = written
            self._written.move_to_end(user_id)
            while len(self._written) > REMEMBERED:
                self._written.popitem(last=False)

    def forget(self, user_id: int) -> None:
        """Someone's row was written elsewhere (a reply target): check it next time."""
        with self._lock:
            self._written.pop(user_id, None)
