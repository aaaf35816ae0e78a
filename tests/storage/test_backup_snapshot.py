"""A backup is one moment of the store, also while the bot goes on writing: what one
transaction wrote is in the backup whole or not at all, however long the copy takes."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from storage.backup import write_backup
from storage.models import ScheduledDeletion
from storage.store import Store

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_backup_taken_while_the_store_is_written_holds_each_transaction_whole(
    store: Store, tmp_path: Path
) -> None:
    # Plenty to copy between the two tables the writer writes together (a group is copied
    # long before a user), so that the writer commits many times while the copy runs.
    with store.engine.begin() as connection:
        connection.execute(
            insert(ScheduledDeletion),
            [
                {"chat_id": -1, "message_id": n, "delete_at": NOW + timedelta(seconds=n)}
                for n in range(30_000)
            ],
        )
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            with store.transaction() as tx:
                tx.chats.add(chat_id=n, title=None, approved_by=None, approved_at=NOW)
                tx.users.upsert(
                    user_id=n,
                    username=None,
                    first_name="x",
                    last_name=None,
                    language_code=None,
                    seen_at=NOW,
                )
            written.append(n)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5:
            stop.wait(0.01)
        before = len(written)
        write_backup(store.engine, tmp_path / "backup", made_by="test")
        during = len(written) - before
    finally:
        stop.set()
        thread.join()

    assert during > 5, "the writer went on while the backup was read"
    with closing(sqlite3.connect(tmp_path / "backup")) as backup:
        chats = {row[0] for row in backup.execute("SELECT chat_id FROM approved_chats")}
        users = {row[0] for row in backup.execute("SELECT user_id FROM users")}
    assert chats
    assert chats == users
