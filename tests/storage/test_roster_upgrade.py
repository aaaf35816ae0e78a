"""A store from before the roster and the seeds seen: opening it adds the `roster` column
(its approved groups are not rosters) and the `seed_exposures` table; accounts already
stored count as seen by whoever added them."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from bot.rules.departures import seen_seeds
from bot.rules.model import Person, Place, Seen, SeenSeed
from bot.rules.services import build_services
from tests.conftest import OWNER_ID, Clock, Notices, open_test_store
from tests.store_files import as_before_migrations

OWNER = Person(OWNER_ID, "Olga")
ADMIN_ID = 200
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
GROUP = Place(-500, private=False, title="Team")

PREVIOUS_APPROVED_CHATS = """
CREATE TABLE approved_chats (
    chat_id BIGINT NOT NULL,
    title VARCHAR(256),
    approved_by BIGINT,
    approved_at DATETIME NOT NULL,
    CONSTRAINT pk_approved_chats PRIMARY KEY (chat_id)
)
"""


def test_a_store_from_before_the_roster_opens_with_its_groups_not_rosters(
    tmp_path: Path,
) -> None:
    store = open_test_store(tmp_path)
    services = build_services(
        store, Notices(), owner_ids=frozenset({OWNER_ID}), audit_chat_id=None, clock=Clock()
    )
    services.vault.add(Person(0, "operator"), "amazon-us", SECRET)
    store.close()
    path = tmp_path / "teamotp.db"
    with closing(sqlite3.connect(path)) as db, db:
        as_before_migrations(db)
        db.execute("DROP TABLE approved_chats")
        db.execute(PREVIOUS_APPROVED_CHATS)
        db.execute(
            "INSERT INTO approved_chats VALUES (?, 'Team', ?, '2025-12-01 10:00:00.000000')",
            (GROUP.chat_id, OWNER_ID),
        )
        db.execute("DROP TABLE seed_exposures")
        db.execute("UPDATE accounts SET created_by = ?", (ADMIN_ID,))

    store = open_test_store(tmp_path)
    try:
        with closing(sqlite3.connect(path)) as db:
            names = {row[1] for row in db.execute("PRAGMA table_info(approved_chats)")}
        assert "roster" in names
        services = build_services(
            store, Notices(), owner_ids=frozenset({OWNER_ID}), audit_chat_id=None, clock=Clock()
        )
        assert services.groups.roster_state(OWNER, GROUP) is False
        with store.transaction() as tx:
            assert seen_seeds(tx, ADMIN_ID) == (SeenSeed("amazon-us", (Seen.ADDED,)),)
    finally:
        store.close()
