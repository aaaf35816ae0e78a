"""Watching what the bot does to its store while the end-to-end tests drive it."""

from __future__ import annotations

import asyncio
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from bot.chat.failures import OUR_PACKAGES
from storage.store import Store


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _our_frames() -> str:
    """Where in the project's code the statement came from, for the failure message."""
    ours = []
    for frame, lineno in traceback.walk_stack(None):
        module = str(frame.f_globals.get("__name__", ""))
        if module.partition(".")[0] in OUR_PACKAGES:
            ours.append(f"{module}:{lineno} {frame.f_code.co_name}")
    return " <- ".join(ours[:4])


@dataclass
class LoopThreadGuard:
    """Records every SQL statement run on a thread that is running an event loop: the
    bot must hand all database work to a worker thread (`bot.chat.worker.offload`)."""

    misuses: list[str] = field(default_factory=list)

    def watch(self, store: Store) -> None:
        event.listen(store.engine, "before_cursor_execute", self._check)

    def _check(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if _on_event_loop():
            self.misuses.append(f"{statement.split()[0]} at {_our_frames()}")


@dataclass
class Transaction:
    thread: str
    statements: list[str] = field(default_factory=list)

    def touches(self, table: str) -> bool:
        return any(f" {table}" in s for s in self.statements)

    def locks(self) -> bool:
        """Whether it took the lock that runs a shared store's transactions one at a time."""
        return any("pg_advisory_xact_lock" in s for s in self.statements)

    def writes(self, table: str) -> bool:
        return any(
            s.startswith(("INSERT", "UPDATE", "DELETE")) and f" {table}" in s
            for s in self.statements
        )


@dataclass
class TransactionLog:
    """Every transaction the store begins while recording, with its statements."""

    transactions: list[Transaction] = field(default_factory=list)
    recording: bool = False
    _open: dict[int, Transaction] = field(default_factory=dict)
    _expected: dict[str, threading.Event] = field(default_factory=dict)

    def expect(self, table: str) -> threading.Event:
        """Set once a recorded statement writes to `table` (the store runs on worker
        threads: wait for it with `asyncio.to_thread(event.wait, seconds)`)."""
        return self._expected.setdefault(table, threading.Event())

    def watch(self, store: Store) -> None:
        event.listen(store.engine, "begin", self._begin)
        event.listen(store.engine, "before_cursor_execute", self._statement)

    def _begin(self, connection: Any) -> None:
        if self.recording:
            found = Transaction(threading.current_thread().name)
            self._open[id(connection)] = found
            self.transactions.append(found)

    def _statement(self, connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        found = self._open.get(id(connection))
        if self.recording and found is not None:
            found.statements.append(" ".join(statement.split()))
            for table, event in self._expected.items():
                if found.writes(table):
                    event.set()
