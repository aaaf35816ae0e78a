"""The opened store: one transaction at a time, each with its own repositories."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from storage.crypto import SecretBox
from storage.repositories import Repositories


class Store:
    """The database plus the key that opens its secrets.

    Every call blocks on the database: callers on an event loop hand it to a worker
    thread (the chat layer's one seam for that is `bot.chat.worker`). Several threads
    may call at once (the bot handles different chats at the same time), and rules read
    and then write (a count of codes, a repeated refusal, a new user): transactions
    therefore run one at a time, as if each chat's update came alone."""

    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self._engine = engine
        self._box = box
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._one_at_a_time = threading.RLock()

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

    @contextmanager
    def transaction(self) -> Iterator[Repositories]:
        """Everything inside commits together or not at all (rule: nothing stored half)."""
        with self._one_at_a_time, self._sessions.begin() as session:
            yield Repositories(session, self._box)

    def close(self) -> None:
        self._engine.dispose()
