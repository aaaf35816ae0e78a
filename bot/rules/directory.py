"""The user directory: who the bot has seen, so admins can name people by @username.

Every update passes through here, so it writes only when something changed: a new
name, username or language, or a `last_seen` older than `REFRESH` (it says roughly
when someone was last around, not to the second). What it last wrote is remembered
per person, so a member asking for codes all day costs no database call at all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from bot.rules.clock import Clock, utc
from bot.rules.model import Person
from storage.store import Store

REFRESH = 3600.0  # seconds between `last_seen` updates for an unchanged person
REMEMBERED = 10_000  # people whose last write is kept in memory (the least recent go first)

_Profile = tuple[str | None, str, str | None, str | None]


def _profile(person: Person) -> _Profile:
    return (person.username, person.first_name, person.last_name, person.language_code)


class Directory:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._written: OrderedDict[int, tuple[_Profile, float]] = OrderedDict()
        self._lock = threading.Lock()  # the rules run on worker threads

    def seen(self, person: Person) -> None:
        if person.is_bot:
            return
        profile, now = _profile(person), self._clock()
        with self._lock:
            last = self._written.get(person.id)
        if last is not None and last[0] == profile and now - last[1] < REFRESH:
            return
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
        with self._lock:
            self._written[person.id] = (profile, written_at)
            self._written.move_to_end(person.id)
            while len(self._written) > REMEMBERED:
                self._written.popitem(last=False)

    def forget(self, user_id: int) -> None:
        """Someone's row was written elsewhere (a reply target): check it next time."""
        with self._lock:
            self._written.pop(user_id, None)
