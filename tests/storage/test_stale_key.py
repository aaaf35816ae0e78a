"""A bot still running with the master key the store had before `teamotp rotate-key` seals
nothing more under it: what it would seal could never be read again, so the transaction
is refused, and says what to do; what needs no key goes on until it is restarted."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.keyrotation import rotate_key
from storage.store import StaleKeyError, Store
from tests.conftest import open_test_store
from tests.team_store import NOW, contents, fill


def add_account(store: Store, name: str) -> None:
    with store.transaction() as tx:
        tx.accounts.add(
            name=name,
            name_key=name,
            secret="MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK",
            issuer=None,
            label=None,
            algorithm="SHA1",
            digits=6,
            period=30,
            created_at=NOW,
            created_by=None,
        )


def test_a_process_with_the_replaced_key_cannot_seal_anything(
    store: Store, tmp_path: Path, database_url: str
) -> None:
    fill(store)
    rotator = open_test_store(tmp_path, database_url)
    rotate_key(rotator, tmp_path / "master.key")
    rotator.close()

    with pytest.raises(StaleKeyError, match="restart it with the new key"):
        add_account(store, "late")
    with store.transaction() as tx:  # needs no key: goes on
        tx.chats.add(chat_id=-5, title=None, approved_by=None, approved_at=NOW)

    reopened = open_test_store(tmp_path, database_url)
    try:
        assert "late" not in contents(reopened).accounts
        add_account(reopened, "late")  # with the new key, as after a restart
        assert "late" in contents(reopened).accounts
    finally:
        reopened.close()
