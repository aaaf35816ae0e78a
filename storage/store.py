"""The opened store: one transaction at a time, each with its own repositories."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from storage.crypto import SecretBox
from storage.repositories import Repositories


class Store:
    """The database plus the key that opens its secrets.

    Every call blocks on the database: callers on an event loop hand it to a worker
    thread (the chat layer's one seam for that is `bot.chat.worker`)."""

    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self._engine = engine
        self._box = box
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        """For tests and health checks that watch the connection itself."""
        return self._engine

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Repositories]:
        """Everything inside commits together or not at all (rule: nothing stored half)."""
        with self._sessions.begin() as session:
            yield Repositories(session, self._box)

    def close(self) -> None:
        self._engine.dispose()
