"""A stored secret is bound to its account and everything that makes its codes: the
account's uid, name, algorithm, digits and period. A row changed outside the bot no
longer opens (instead of giving wrong codes), and a store sealed the first version's way
(uid only) is upgraded once, in place, when it is opened."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.crypto import DecryptionError
from storage.database import open_store
from storage.models import Account
from storage.store import Store
from tests.store_files import (
    add_first_version_account,
    change_account,
    make_first_version_store,
    sealed_secrets,
    swap_secrets,
)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OTHER_SECRET = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"


def open_in(data_dir: Path) -> Store:
    return open_store(f"sqlite:///{data_dir / 'teamotp.db'}", None, data_dir / "master.key")


def add(store: Store, name: str, secret: str, algorithm: str, digits: int, period: int) -> None:
    with store.transaction() as tx:
        tx.accounts.add(
            name=name,
            name_key=name,
            secret=secret,
            issuer=None,
            label=None,
            algorithm=algorithm,
            digits=digits,
            period=period,
            created_at=datetime.now(UTC),
            created_by=None,
        )


def reveal(store: Store, name: str) -> str:
    with store.transaction() as tx:
        account = tx.accounts.by_key(name)
        assert isinstance(account, Account)
        return tx.accounts.reveal(account)


def opens(store: Store, name: str) -> bool:
    with store.transaction() as tx:
        account = tx.accounts.by_key(name)
        assert isinstance(account, Account)
        return tx.accounts.opens(account)


def binding_setting(data_dir: Path) -> str | None:
    with closing(sqlite3.connect(data_dir / "teamotp.db")) as db:
        row = db.execute("SELECT value FROM settings WHERE key = 'secret_binding'").fetchone()
    return None if row is None else str(row[0])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """Two accounts whose codes are made differently."""
    opened = open_in(tmp_path)
    add(opened, "amazon-us", SECRET, "SHA1", 6, 30)
    add(opened, "cloud", OTHER_SECRET, "SHA256", 8, 60)
    yield opened
    opened.close()


def test_a_secret_opens_with_the_settings_it_was_sealed_with(store: Store) -> None:
    assert reveal(store, "amazon-us") == SECRET
    assert reveal(store, "cloud") == OTHER_SECRET
    assert opens(store, "amazon-us")


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("digits", 8),
        ("digits", 7),
        ("period", 60),
        ("period", 31),
        ("algorithm", "SHA256"),
        ("algorithm", "SHA1/6"),  # a separator smuggled into a text column
        ("uid", "0" * 32),
    ],
)
def test_a_secret_whose_code_settings_were_edited_does_not_open(
    store: Store, tmp_path: Path, column: str, value: object
) -> None:
    change_account(tmp_path, "amazon-us", column, value)
    with pytest.raises(DecryptionError):
        reveal(store, "amazon-us")
    assert not opens(store, "amazon-us")
    assert reveal(store, "cloud") == OTHER_SECRET  # the other row is untouched


def test_secrets_swapped_between_rows_with_their_uids_do_not_open(
    store: Store, tmp_path: Path
) -> None:
    """The uid alone (the first version's binding) travels with the ciphertext: the code
    settings stay with the row, so neither swapped secret opens."""
    swap_secrets(tmp_path, "amazon-us", "cloud")
    for name in ("amazon-us", "cloud"):
        with pytest.raises(DecryptionError):
            reveal(store, name)


def test_secrets_swapped_between_rows_with_the_same_settings_do_not_open(
    store: Store, tmp_path: Path
) -> None:
    """Same algorithm, digits and period: only the name tells the rows apart, and it is
    bound too, so amazon-us can never hand out ebay's codes."""
    add(store, "ebay", OTHER_SECRET, "SHA1", 6, 30)
    swap_secrets(tmp_path, "amazon-us", "ebay")
    assert not opens(store, "amazon-us")
    assert not opens(store, "ebay")


def test_names_swapped_between_rows_do_not_open(store: Store, tmp_path: Path) -> None:
    add(store, "ebay", OTHER_SECRET, "SHA1", 6, 30)
    with closing(sqlite3.connect(tmp_path / "teamotp.db")) as db, db:
        db.execute("UPDATE accounts SET name = 'x', name_key = 'x' WHERE name = 'amazon-us'")
        db.execute(
            "UPDATE accounts SET name = 'amazon-us', name_key = 'amazon-us' WHERE name = 'ebay'"
        )
        db.execute("UPDATE accounts SET name = 'ebay', name_key = 'ebay' WHERE name = 'x'")
    assert not opens(store, "amazon-us")
    assert not opens(store, "ebay")


def test_a_renamed_account_is_sealed_again_under_its_new_name(store: Store) -> None:
    with store.transaction() as tx:
        account = tx.accounts.by_key("amazon-us")
        assert isinstance(account, Account)
        tx.accounts.rename(account, "Amazon-DE", "amazon-de")
    assert reveal(store, "amazon-de") == SECRET


def test_the_error_never_holds_the_secret(store: Store, tmp_path: Path) -> None:
    change_account(tmp_path, "amazon-us", "digits", 8)
    with pytest.raises(DecryptionError) as refused:
        reveal(store, "amazon-us")
    assert SECRET not in str(refused.value)
    assert refused.value.__cause__ is None


def test_a_new_store_records_how_its_secrets_are_bound(tmp_path: Path) -> None:
    open_in(tmp_path).close()
    assert binding_setting(tmp_path) == "v2"


# --- the first version's stores -----------------------------------------------------------


@pytest.fixture
def first_version(tmp_path: Path) -> Path:
    """A store the first version wrote, with two accounts; its data directory."""
    make_first_version_store(tmp_path)
    add_first_version_account(tmp_path, "amazon-us", SECRET)
    add_first_version_account(
        tmp_path, "cloud", OTHER_SECRET, algorithm="SHA256", digits=8, period=60
    )
    return tmp_path


def test_a_first_version_store_is_upgraded_when_opened(first_version: Path) -> None:
    before = sealed_secrets(first_version)
    assert binding_setting(first_version) is None
    store = open_in(first_version)
    try:
        assert reveal(store, "amazon-us") == SECRET
        assert reveal(store, "cloud") == OTHER_SECRET
    finally:
        store.close()
    after = sealed_secrets(first_version)
    assert all(after[name] != before[name] for name in before)
    assert binding_setting(first_version) == "v2"


def test_an_upgraded_secret_is_bound_to_its_code_settings(first_version: Path) -> None:
    open_in(first_version).close()
    change_account(first_version, "cloud", "digits", 6)
    store = open_in(first_version)
    try:
        with pytest.raises(DecryptionError):
            reveal(store, "cloud")
        assert reveal(store, "amazon-us") == SECRET
    finally:
        store.close()


def test_the_upgrade_runs_once(first_version: Path) -> None:
    open_in(first_version).close()
    upgraded = sealed_secrets(first_version)
    open_in(first_version).close()
    assert sealed_secrets(first_version) == upgraded  # nothing re-sealed the second time
    # A row sealed the old way after the upgrade is not taken for one to upgrade: the
    # upgrade is over, and such a row is as foreign as any other edit.
    add_first_version_account(first_version, "late", SECRET)
    store = open_in(first_version)
    try:
        assert not opens(store, "late")
    finally:
        store.close()


def test_a_row_that_does_not_open_is_left_as_it_is_and_named(
    first_version: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Only what opens with its own current uid is re-sealed: a sealed secret copied from
    another row is not adopted by the upgrade."""
    copied = sealed_secrets(first_version)["amazon-us"]
    change_account(first_version, "cloud", "secret_sealed", copied)
    caplog.set_level(logging.INFO)
    store = open_in(first_version)
    try:
        assert reveal(store, "amazon-us") == SECRET
        assert not opens(store, "cloud")
    finally:
        store.close()
    assert sealed_secrets(first_version)["cloud"] == copied
    assert binding_setting(first_version) == "v2"
    assert "cloud" in caplog.text
    assert "1 stored secrets are now bound" in caplog.text
    for secret in (SECRET, OTHER_SECRET):
        assert secret not in caplog.text


def test_the_upgrade_adds_the_table_of_pending_questions(first_version: Path) -> None:
    open_in(first_version).close()
    with closing(sqlite3.connect(first_version / "teamotp.db")) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "pending_inputs" in tables
