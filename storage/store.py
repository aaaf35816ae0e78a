"""The opened store: one transaction at a time, each with its own repositories."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from storage.crypto import SecretBox
from storage.models import Setting
from storage.repositories import Repositories
from storage.sealed import KEY_CHECK, SEALED_COLUMNS


class StaleKeyError(Exception):
    """The store was re-sealed under a new master key (`teamotp rotate-key`) after this
    process opened it: a value sealed now, under the key it holds, could never be read
    again, so the transaction stores nothing."""


# One advisory lock for the whole store ("teamotp" as a number), held to the end of each
# transaction: PostgreSQL lets it go at commit or rollback, also when the process dies.
_LOCK_KEY = 0x7465616D6F7470
_ONE_AT_A_TIME = text("SELECT pg_advisory_xact_lock(:key)")


class Store:
    """The database plus the key that opens its secrets.

    Every call blocks on the database: callers on an event loop hand it to a worker
    thread (the chat layer's one seam for that is `bot.chat.worker`). Several threads
    may call at once (the bot handles different chats at the same time), and rules read
    and then write (a count of codes, a repeated refusal, a new user): transactions
    therefore run one at a time, as if each chat's update came alone.

    On PostgreSQL several replicas may share the store: there a transaction also takes one
    transaction-level advisory lock, so they run one at a time across every process too,
    and what holds in one process holds for all. The claims of timed work (`claiming`)
    take no such lock: they take rows with `FOR UPDATE SKIP LOCKED`, so a replica never
    waits for another's claim, and no row is taken twice."""

    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self._engine = engine
        self._box = box
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._one_at_a_time = threading.RLock()
        self._depth = threading.local()

    @property
    def engine(self) -> Engine:
        """For tests and health checks that watch the connection itself."""
        return self._engine

    @property
    def box(self) -> SecretBox:
        """For what works on the store as a whole (restoring a backup, a new master key)
        and must re-seal values outside the repositories."""
        return self._box

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @property
    def shared(self) -> bool:
        """Whether other processes may use this store at the same time (replicas, on
        PostgreSQL), so that nothing one process remembers of it may be trusted."""
        return self.dialect != "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Repositories]:
        """Everything inside commits together or not at all (rule: nothing stored half)."""
        with self._one_at_a_time, self._sessions.begin() as session:
            outermost = not getattr(self._depth, "value", 0)
            if outermost and self.shared:
                session.execute(_ONE_AT_A_TIME, {"key": _LOCK_KEY})
            self._depth.value = getattr(self._depth, "value", 0) + 1
            try:
                sealing = _Sealing(session)
                yield Repositories(session, self._box)
                if sealing.seen():
                    self._check_key(session)
            finally:
                self._depth.value -= 1

    @contextmanager
    def claiming(self) -> Iterator[Repositories]:
        """A transaction for claiming rows of timed work, without the locks every other
        transaction takes: the claim's own row locks (`SKIP LOCKED`) keep two replicas,
        or two threads, from taking the same row, and nobody waits for a claim (it seals
        nothing). On SQLite, which has no row locks, it runs one at a time as the rest."""
        with self._unlocked() as tx:
            yield tx

    @contextmanager
    def racing(self) -> Iterator[Repositories]:
        """A transaction without those locks, for one write whose own constraint settles
        a race (recording an update's id): every update passes one first, and none should
        wait for another chat's work to get there."""
        with self._unlocked() as tx:
            yield tx

    @contextmanager
    def looking(self) -> Iterator[Repositories]:
        """A transaction without those locks that writes nothing, for a timed job's look at
        whether anything is due: an idle tick of every job of every replica then costs one
        query, and holds up no one. The job's own transaction looks again."""
        if not self.shared:
            with self.transaction() as tx:
                yield tx
            return
        with self._sessions() as session:  # closed, never committed: what it wrote goes
            yield Repositories(session, self._box)

    @contextmanager
    def _unlocked(self) -> Iterator[Repositories]:
        if not self.shared:
            with self.transaction() as tx:
                yield tx
            return
        with self._sessions.begin() as session:
            yield Repositories(session, self._box)

    def _check_key(self, session: Session) -> None:
        """Before a transaction that sealed something commits: is the store still under
        this key? One read, only in the rare transactions that seal (an account added, a
        note set, a new key taken); `rotate-key` locks the sealed tables, so a transaction
        that passes here commits before the rotation reads its rows, which then re-seals
        them too."""
        stored = session.execute(
            select(Setting.value).where(Setting.key == KEY_CHECK)
        ).scalar_one_or_none()
        if stored is not None and not self._box.matches(bytes.fromhex(stored)):
            raise StaleKeyError(
                "the store's master key was changed (teamotp rotate-key) after this process "
                "started: restart it with the new key; nothing was stored"
            )

    def close(self) -> None:
        self._engine.dispose()


class _Sealing:
    """Notes whether a transaction writes a sealed value (see `SEALED_COLUMNS`)."""

    def __init__(self, session: Session) -> None:
        self._seen = False
        self._session = session
        event.listen(session, "before_flush", self._before_flush)

    def _before_flush(self, session: Session, *_: Any) -> None:
        if not self._seen:
            self._seen = any(_writes_sealed(row) for row in (*session.new, *session.dirty))

    def seen(self) -> bool:
        self._session.flush()
        return self._seen


def _writes_sealed(row: object) -> bool:
    state = inspect(row)
    columns = SEALED_COLUMNS.get(getattr(state.mapper.local_table, "name", ""), ())
    return any(state.attrs[column].history.has_changes() for column in columns)
