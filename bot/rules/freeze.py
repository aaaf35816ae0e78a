"""The freeze switch: `/lock` stops every code at once, for everyone but owners, until
`/unlock`. For the moment a phone or a member's Telegram account is suspected stolen:
one command, no list of people to go through, and nothing to undo but the lock.

The state is a setting of the store, read on every code request (never cached), so old
buttons and requests already on their way stop too, and a restart keeps the lock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.rules.access import Access
from bot.rules.auditlog import record
from bot.rules.clock import Clock, utc
from bot.rules.errors import TeamOtpError
from bot.rules.model import LockNotice, LockState, Person, Place, Role
from bot.rules.notices import Notifier
from storage.repositories import Repositories
from storage.store import Store

LOCK = "lock"  # the setting that holds who locked, and when


class Locked(TeamOtpError):
    """A code was asked for while the bot is locked; says since when and by whom."""

    def __init__(self, state: LockState) -> None:
        super().__init__(
            "code.locked", name=state.by_name, time=state.at.strftime("%Y-%m-%d %H:%M UTC")
        )


def lock_state(tx: Repositories) -> LockState | None:
    """The lock, if any. A setting that does not read back (edited by hand) still locks:
    a broken switch must fail closed."""
    stored = tx.settings.get(LOCK)
    if stored is None:
        return None
    try:
        value = json.loads(stored)
        return LockState(int(value["by"]), str(value["name"]), datetime.fromisoformat(value["at"]))
    except (ValueError, KeyError, TypeError):
        return LockState(0, "?", datetime.fromtimestamp(0, tz=UTC))


def check_unlocked(tx: Repositories, role: Role) -> None:
    """Owners get codes through a lock (someone must be able to act); nobody else."""
    state = lock_state(tx)
    if state is not None and role is not Role.OWNER:
        raise Locked(state)


@dataclass(frozen=True)
class Switched:
    state: LockState | None  # the lock now (lock), or the one lifted (unlock)
    changed: bool  # False: it was locked (unlocked) already


class Freeze:
    def __init__(self, store: Store, access: Access, clock: Clock, notifier: Notifier) -> None:
        self._store = store
        self._access = access
        self._clock = clock
        self._notifier = notifier

    def lock(self, actor: Person, place: Place) -> Switched:
        return self._switch(actor, place, locked=True)

    def unlock(self, actor: Person, place: Place) -> Switched:
        return self._switch(actor, place, locked=False)

    def state(self) -> LockState | None:
        with self._store.transaction() as tx:
            return lock_state(tx)

    def _switch(self, actor: Person, place: Place, *, locked: bool) -> Switched:
        now = self._clock()
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            state = lock_state(tx)
            if (state is not None) == locked:
                return Switched(state, changed=False)
            if locked:
                state = LockState(actor.id, actor.full_name, utc(now))
                stored = {"by": actor.id, "name": actor.full_name, "at": state.at.isoformat()}
                tx.settings.put(LOCK, json.dumps(stored))
            else:
                tx.settings.remove(LOCK)
            record(
                tx,
                now,
                actor_id=actor.id,
                action="freeze.lock" if locked else "freeze.unlock",
                chat_id=place.chat_id,
            )
            # Every admin and owner hears of it, /notify off or not: it stops their team.
            notice = LockNotice(actor, locked, utc(now), self._access.admins(tx, exclude=actor.id))
        if notice.recipients:
            self._notifier.publish(notice)
        return Switched(state, changed=True)
