"""The store: opening it, the master key and its check value, and sealed secrets."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest

from storage.crypto import DecryptionError, SecretBox, encode_master_key
from storage.database import StoreError, open_store
from storage.models import Account


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'teamotp.db'}"


def _add_account(store_url: str, tmp_path: Path, key: str | None = None) -> None:
    store = open_store(store_url, key, tmp_path / "master.key")
    with store.transaction() as tx:
        from datetime import UTC, datetime

        tx.accounts.add(
            name="amazon-us",
            name_key="amazon-us",
            secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
            issuer="Amazon",
            label=None,
            algorithm="SHA1",
            digits=6,
            period=30,
            created_at=datetime.now(UTC),
            created_by=1,
        )
    store.close()


def test_first_open_creates_a_private_key_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    open_store(_url(tmp_path), None, tmp_path / "master.key").close()
    key_file = tmp_path / "master.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert "Keep a copy somewhere other than this server" in caplog.text


def test_sqlite_store_uses_wal(tmp_path: Path) -> None:
    open_store(_url(tmp_path), None, tmp_path / "master.key").close()
    with sqlite3.connect(tmp_path / "teamotp.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_wrong_key_is_refused_and_store_unchanged(tmp_path: Path) -> None:
    _add_account(_url(tmp_path), tmp_path)
    before = _dump(tmp_path / "teamotp.db")
    other = encode_master_key(SecretBox.generate_key())
    with pytest.raises(StoreError, match="does not match the store"):
        open_store(_url(tmp_path), other, tmp_path / "unused.key")
    assert _dump(tmp_path / "teamotp.db") == before


def test_missing_key_file_for_an_existing_store_is_refused_not_recreated(tmp_path: Path) -> None:
    _add_account(_url(tmp_path), tmp_path)
    (tmp_path / "master.key").unlink()
    with pytest.raises(StoreError, match="master key file .* is missing"):
        open_store(_url(tmp_path), None, tmp_path / "master.key")
    assert not (tmp_path / "master.key").exists()


def test_malformed_key_is_refused_without_echoing_it(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as refused:
        open_store(_url(tmp_path), "not-a-key-at-all", tmp_path / "master.key")
    assert "not-a-key-at-all" not in str(refused.value)
    assert "TEAMOTP_MASTER_KEY" in str(refused.value)


@pytest.mark.parametrize("url", ["nonsense", "nosuchdb://x/y", "sqlite:////nonexistent-dir/x/y.db"])
def test_unusable_database_url_gives_one_line(tmp_path: Path, url: str) -> None:
    with pytest.raises(StoreError) as refused:
        open_store(url, None, tmp_path / "master.key")
    assert "\n" not in str(refused.value)


def test_database_password_is_not_shown(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as refused:
        open_store("postgresql+psycopg://user:hunter2@127.0.0.1:1/db", None, tmp_path / "k")
    assert "hunter2" not in str(refused.value)


def test_secret_is_sealed_at_rest(tmp_path: Path) -> None:
    _add_account(_url(tmp_path), tmp_path)
    raw = (tmp_path / "teamotp.db").read_bytes()
    assert b"JBSWY3DPEHPK3PXP" not in raw
    with sqlite3.connect(tmp_path / "teamotp.db") as connection:
        (sealed,) = connection.execute("SELECT secret_sealed FROM accounts").fetchone()
    assert b"JBSWY3DP" not in sealed


def test_ciphertext_moved_to_another_row_does_not_open(tmp_path: Path) -> None:
    store = open_store(_url(tmp_path), None, tmp_path / "master.key")
    from datetime import UTC, datetime

    with store.transaction() as tx:
        for name in ("one", "two"):
            tx.accounts.add(
                name=name,
                name_key=name,
                secret="JBSWY3DPEHPK3PXP" if name == "one" else "KRSXG5CTMVRXEZLUKRSXG5CT",
                issuer=None,
                label=None,
                algorithm="SHA1",
                digits=6,
                period=30,
                created_at=datetime.now(UTC),
                created_by=None,
            )
    with sqlite3.connect(tmp_path / "teamotp.db") as connection:
        connection.execute(
            "UPDATE accounts SET secret_sealed = "
            "(SELECT secret_sealed FROM accounts WHERE name = 'one') WHERE name = 'two'"
        )
    with store.transaction() as tx:
        two = tx.accounts.by_key("two")
        assert isinstance(two, Account)
        with pytest.raises(DecryptionError):
            tx.accounts.reveal(two)
        one = tx.accounts.by_key("one")
        assert one is not None
        assert tx.accounts.reveal(one) == "JBSWY3DPEHPK3PXP"
    store.close()


def _dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


def test_transactions_from_several_threads_run_one_at_a_time(tmp_path: Path) -> None:
    """The bot handles different chats at once, on worker threads, and its rules read
    and then write (a count, a repeated refusal): no thread's write may be lost."""
    store = open_store(_url(tmp_path), None, tmp_path / "master.key")
    with store.transaction() as tx:
        tx.settings.put("counter", "0")

    def count(times: int) -> None:
        for _ in range(times):
            with store.transaction() as tx:
                seen = int(tx.settings.get("counter") or "0")
                time.sleep(0.001)  # another thread would read the same value meanwhile
                tx.settings.put("counter", str(seen + 1))

    threads = [threading.Thread(target=count, args=(25,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with store.transaction() as tx:
        assert tx.settings.get("counter") == "100"
    store.close()
