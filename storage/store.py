"""The opened store: one transaction at a time, each with its own repositories."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker

from storage.crypto import SecretBox
from storage.repositories import Repositories

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
                yield Repositories(session, self._box)
            finally:
                self._depth.value -= 1

    @contextmanager
    def claiming(self) -> Iterator[Repositories]:
        """A transaction for claiming rows of timed work, without the lock every other
        transaction takes: the claim's own row locks (`SKIP LOCKED`) keep two replicas
        from taking the same row, and nobody waits for a claim."""
        with self._one_at_a_time, self._sessions.begin() as session:
            yield Repositories(session, self._box)

    def close(self) -> None:
        self._engine.dispose()
