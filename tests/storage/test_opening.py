"""Opening a store that cannot be used leaves nothing behind that this attempt made."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from storage.database import StoreError, open_store


def test_key_file_made_for_a_store_that_then_fails_is_removed(tmp_path: Path) -> None:
    """A store whose table lacks a column that cannot be added: refused after the key was
    made. The key must go: kept, it would belong to no store."""
    database = tmp_path / "teamotp.db"
    with closing(sqlite3.connect(database)) as raw:
        raw.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
    key_file = tmp_path / "master.key"
    with pytest.raises(StoreError, match="lacks the column"):
        open_store(f"sqlite:///{database}", None, key_file)
    assert not key_file.exists()
    assert database.exists(), "a database that was there before is kept"


def test_database_file_made_by_a_failed_opening_is_removed(tmp_path: Path) -> None:
    key_file = tmp_path / "master.key"
    key_file.mkdir()
    database = tmp_path / "teamotp.db"
    with pytest.raises(StoreError, match="is a directory"):
        open_store(f"sqlite:///{database}", None, key_file)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.key"]
