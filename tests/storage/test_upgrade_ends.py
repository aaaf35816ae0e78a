"""A store from before grants could end: its `members` and `grants` tables have no `until`.
Opening it adds the columns, and everyone in it keeps what they had, with no end."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from bot.rules.model import Person, Role, Target
from bot.rules.services import build_services
from tests.conftest import OWNER_ID, Clock, Notices, open_test_store
from tests.store_files import as_before_migrations

OWNER = Person(OWNER_ID, "Olga", username="olga")
MIA = Person(300, "Mia", username="mia")
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def columns(path: Path, table: str) -> set[str]:
    with closing(sqlite3.connect(path)) as db:
        return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def test_a_store_from_before_ends_gains_them_and_nothing_of_it_ends(tmp_path: Path) -> None:
    clock = Clock()
    store = open_test_store(tmp_path)
    services = build_services(
        store, Notices(), owner_ids=frozenset({OWNER_ID}), audit_chat_id=None, clock=clock
    )
    services.vault.add(OWNER, "amazon-us", SECRET)
    services.roster.add(OWNER, Target(user_id=MIA.id), ["amazon-us"])
    store.close()
    path = tmp_path / "teamotp.db"
    with closing(sqlite3.connect(path)) as db, db:
        as_before_migrations(db)
        db.execute("ALTER TABLE members DROP COLUMN until")
        db.execute("ALTER TABLE grants DROP COLUMN until")
    assert "until" not in columns(path, "members") | columns(path, "grants")

    store = open_test_store(tmp_path)
    try:
        assert "until" in columns(path, "members")
        assert "until" in columns(path, "grants")
        services = build_services(
            store, Notices(), owner_ids=frozenset({OWNER_ID}), audit_chat_id=None, clock=clock
        )
        clock.advance(365 * 86400)
        assert services.expiry.end_expired() == []
        assert services.access.role_of(MIA.id) is Role.MEMBER
        (account,) = services.codes.accounts_for(MIA)
        assert (account.name, account.until) == ("amazon-us", None)
    finally:
        store.close()
