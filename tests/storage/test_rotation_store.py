"""Where a new key waiting for confirmation and a custody note live: sealed in the store,
each bound to its account's uid (the new key to the settings it comes with too), so a
ciphertext moved to another row or edited no longer opens. A store from before them gets
the table and the column when it is opened."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.crypto import DecryptionError
from storage.models import Account, PendingRotation
from storage.store import Store
from tests.conftest import open_test_store
from tests.store_files import as_before_migrations

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NEW_KEY = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
NOTE = "Li Wei holds the backup phone, +86 138 0013 8000"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def add(store: Store, name: str) -> int:
    with store.transaction() as tx:
        account = tx.accounts.add(
            name=name,
            name_key=name,
            secret=SECRET if name == "amazon-us" else "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU",
            issuer=None,
            label=None,
            algorithm="SHA1",
            digits=6,
            period=30,
            created_at=NOW,
            created_by=None,
        )
        return account.id


def account(tx_store: Store, account_id: int) -> tuple[Account, PendingRotation | None]:
    with tx_store.transaction() as tx:
        found = tx.accounts.by_id(account_id)
        assert found is not None
        return found, tx.rotations.get(account_id)


def wait_for_new_key(store: Store, account_id: int, *, digits: int = 6) -> None:
    with store.transaction() as tx:
        found = tx.accounts.by_id(account_id)
        assert found is not None
        tx.rotations.put(
            found,
            ticket=7,
            secret=NEW_KEY,
            algorithm="SHA256",
            digits=digits,
            period=60,
            issuer="Amazon",
            label=None,
            started_by=200,
            started_at=NOW,
            deadline=NOW + timedelta(hours=1),
        )


def reveal_new_key(store: Store, account_id: int) -> str:
    with store.transaction() as tx:
        found, waiting = tx.accounts.by_id(account_id), tx.rotations.get(account_id)
        assert found is not None
        assert waiting is not None
        return tx.rotations.reveal(waiting, found)


def sql(path: Path, statement: str, *params: object) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(statement, params)


@pytest.mark.sqlite_file
def test_a_new_key_opens_only_for_its_account_and_its_settings(
    store: Store, tmp_path: Path
) -> None:
    amazon, ebay = add(store, "amazon-us"), add(store, "ebay")
    wait_for_new_key(store, amazon)
    assert reveal_new_key(store, amazon) == NEW_KEY
    sql(tmp_path / "teamotp.db", "UPDATE pending_rotations SET digits = 8")
    with pytest.raises(DecryptionError):
        reveal_new_key(store, amazon)
    sql(tmp_path / "teamotp.db", "UPDATE pending_rotations SET digits = 6, account_id = ?", ebay)
    with pytest.raises(DecryptionError):
        reveal_new_key(store, ebay)


def test_replacing_the_secret_binds_it_to_the_new_settings(store: Store) -> None:
    amazon = add(store, "amazon-us")
    with store.transaction() as tx:
        found = tx.accounts.by_id(amazon)
        assert found is not None
        tx.accounts.replace_secret(
            found,
            secret=NEW_KEY,
            algorithm="SHA256",
            digits=8,
            period=60,
            issuer="Amazon",
            label="seller",
        )
    with store.transaction() as tx:
        found = tx.accounts.by_id(amazon)
        assert found is not None
        assert tx.accounts.reveal(found) == NEW_KEY
        assert (found.algorithm, found.digits, found.period, found.issuer) == (
            "SHA256",
            8,
            60,
            "Amazon",
        )


def test_removing_an_account_removes_the_key_waiting_for_it(store: Store) -> None:
    amazon = add(store, "amazon-us")
    wait_for_new_key(store, amazon)
    with store.transaction() as tx:
        found = tx.accounts.by_id(amazon)
        assert found is not None
        tx.accounts.remove(found)
    with store.transaction() as tx:
        assert tx.rotations.get(amazon) is None
        assert tx.rotations.waiting(NOW) == set()


@pytest.mark.sqlite_file
def test_a_note_is_sealed_bound_to_its_account(store: Store, tmp_path: Path) -> None:
    amazon, ebay = add(store, "amazon-us"), add(store, "ebay")
    with store.transaction() as tx:
        found = tx.accounts.by_id(amazon)
        assert found is not None
        tx.accounts.set_note(found, NOTE)
        assert found.note_sealed is not None
        assert NOTE.encode() not in found.note_sealed
    found, _ = account(store, amazon)
    with store.transaction() as tx:
        assert tx.accounts.note(found) == NOTE
    sql(
        tmp_path / "teamotp.db",
        "UPDATE accounts SET note_sealed = (SELECT note_sealed FROM accounts WHERE id = ?) "
        "WHERE id = ?",
        amazon,
        ebay,
    )
    other, _ = account(store, ebay)
    with store.transaction() as tx, pytest.raises(DecryptionError):
        tx.accounts.note(other)


def test_a_store_from_before_notes_and_rotations_gets_them(tmp_path: Path) -> None:
    open_test_store(tmp_path).close()
    path = tmp_path / "teamotp.db"
    with closing(sqlite3.connect(path)) as db, db:
        as_before_migrations(db)
        db.execute("DROP TABLE pending_rotations")
        db.execute("ALTER TABLE accounts DROP COLUMN note_sealed")
    store = open_test_store(tmp_path)
    try:
        amazon = add(store, "amazon-us")
        wait_for_new_key(store, amazon)
        with store.transaction() as tx:
            found = tx.accounts.by_id(amazon)
            assert found is not None
            assert tx.accounts.note(found) is None
            tx.accounts.set_note(found, NOTE)
        assert reveal_new_key(store, amazon) == NEW_KEY
    finally:
        store.close()
