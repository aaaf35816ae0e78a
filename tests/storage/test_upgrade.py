"""A store written by the previous version: its `audit_events` table has no `params`
column, and its rows carry English text in `detail`. Opening it adds the column; the old
rows stay readable, and /audit shows them as they were written."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.messages import CHINESE, ENGLISH
from bot.reports import audit_list
from bot.rules.model import AuditEntry, Person
from bot.rules.services import Services, build_services
from storage.store import Store
from tests.conftest import OWNER_ID, Clock, Notices, open_test_store
from tests.store_files import as_before_migrations

OWNER = Person(OWNER_ID, "Olga", username="olga")
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
MEMBER_ID = 300

# `audit_events` as the previous version created it: no `params` column.
PREVIOUS_AUDIT_EVENTS = """
CREATE TABLE audit_events (
    id INTEGER NOT NULL,
    at DATETIME NOT NULL,
    actor_id BIGINT,
    action VARCHAR(32) NOT NULL,
    outcome VARCHAR(32) NOT NULL,
    account VARCHAR(64),
    chat_id BIGINT,
    target_id BIGINT,
    detail VARCHAR(256),
    CONSTRAINT pk_audit_events PRIMARY KEY (id)
)
"""

# What the previous version wrote: (action, account, target, English detail).
LEGACY_ROWS = [
    ("account.rename", "new-name", None, "from old-name"),
    ("member.add", None, MEMBER_ID, "new-name,ebay"),
    ("member.revoke", None, MEMBER_ID, "ebay"),
    ("notify", None, None, "off"),
]


def columns(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as db:
        return {row[1] for row in db.execute("PRAGMA table_info(audit_events)")}


def make_previous_version_store(tmp_path: Path) -> Path:
    """A store as the previous version left it, with its audit rows."""
    open_test_store(tmp_path).close()
    path = tmp_path / "teamotp.db"
    with closing(sqlite3.connect(path)) as db, db:
        as_before_migrations(db)
        db.execute("DROP TABLE audit_events")
        db.execute(PREVIOUS_AUDIT_EVENTS)
        db.execute("CREATE INDEX ix_audit_events_at ON audit_events (at)")
        db.executemany(
            "INSERT INTO audit_events (at, actor_id, action, outcome, account, target_id, detail)"
            " VALUES (?, ?, ?, 'ok', ?, ?, ?)",
            [
                (f"2025-12-0{n} 10:00:00.000000", OWNER_ID, action, account, target, detail)
                for n, (action, account, target, detail) in enumerate(LEGACY_ROWS, start=1)
            ],
        )
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """The previous version's store, opened by this one (`services` is built on it)."""
    make_previous_version_store(tmp_path)
    opened = open_test_store(tmp_path)
    yield opened
    opened.close()


def legacy(services: Services, action: str) -> AuditEntry:
    return next(e for e in services.audit.latest(OWNER) if e.action == action and e.legacy_detail)


def shown(lang: str, entry: AuditEntry) -> str:
    """The line /audit shows for this entry."""
    (page,) = audit_list(lang, [entry])
    return page.splitlines()[-1]


def test_opening_a_previous_version_store_adds_the_params_column(tmp_path: Path) -> None:
    path = make_previous_version_store(tmp_path)
    assert "params" not in columns(path)
    open_test_store(tmp_path).close()
    assert "params" in columns(path)
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT count(*) FROM audit_events").fetchone() == (len(LEGACY_ROWS),)


def test_rows_of_the_previous_version_are_still_read(services: Services) -> None:
    entries = [e for e in services.audit.latest(OWNER) if e.legacy_detail]
    assert [(e.action, e.account, e.legacy_detail, e.params) for e in entries] == [
        (action, account, detail, ()) for action, account, _target, detail in reversed(LEGACY_ROWS)
    ]
    oldest = entries[-1]
    assert oldest.at == datetime.fromisoformat("2025-12-01 10:00:00+00:00")
    assert oldest.actor_id == OWNER_ID


def test_new_events_in_an_upgraded_store_record_params(services: Services) -> None:
    services.vault.add(OWNER, "old-name", SECRET)
    services.vault.rename(OWNER, "old-name", "newer")
    entry = next(e for e in services.audit.latest(OWNER) if e.action == "account.rename")
    assert (entry.account, entry.params, entry.legacy_detail) == (
        "newer",
        (("from_name", "old-name"),),
        None,
    )


@pytest.mark.parametrize("lang", [ENGLISH, CHINESE])
def test_a_legacy_rename_is_shown_with_its_original_detail(services: Services, lang: str) -> None:
    line = shown(lang, legacy(services, "account.rename"))
    assert line.endswith("account.rename new-name (from old-name)")


def test_a_legacy_member_add_shows_the_accounts_it_granted(services: Services) -> None:
    line = shown(ENGLISH, legacy(services, "member.add"))
    assert line.endswith(f"member.add → {MEMBER_ID} (new-name,ebay)")
    assert "all accounts" not in line


def test_a_legacy_partial_revoke_shows_the_accounts_it_took(services: Services) -> None:
    line = shown(ENGLISH, legacy(services, "member.revoke"))
    assert line.endswith(f"member.revoke → {MEMBER_ID} (ebay)")


def test_a_legacy_event_this_version_does_not_know_is_shown_raw(services: Services) -> None:
    assert shown(ENGLISH, legacy(services, "notify")).endswith("notify (off)")


def test_a_new_rename_in_an_upgraded_store_is_shown_in_the_readers_language(
    services: Services,
) -> None:
    services.vault.add(OWNER, "old-name", SECRET)
    services.vault.rename(OWNER, "old-name", "newer")
    entry = next(e for e in services.audit.latest(OWNER) if e.action == "account.rename")
    assert shown(ENGLISH, entry).endswith("renamed account old-name to newer")
    assert shown(CHINESE, entry).endswith("将账号 old-name 重命名为 newer")


def test_opening_a_store_from_before_the_limits_adds_what_they_need(tmp_path: Path) -> None:
    """Issue 7: audit rows get a nullable `count`; the limits get tables of their own."""
    path = make_previous_version_store(tmp_path)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DROP TABLE rate_hits")
        db.execute("DROP TABLE quiet_chats")
    assert "count" not in columns(path)
    store = open_test_store(tmp_path)
    try:
        assert "count" in columns(path)
        with store.transaction() as tx:
            assert tx.rate_hits.after("stranger", 1, datetime(2000, 1, 1, tzinfo=UTC)) == []
            assert not tx.quiet_chats.told(-1)
        services = build_services(
            store, Notices(), owner_ids=frozenset({OWNER_ID}), audit_chat_id=None, clock=Clock()
        )
        assert {e.count for e in services.audit.latest(OWNER)} == {1}  # old rows: once each
    finally:
        store.close()


def test_an_upgraded_store_starts_its_audit_chain_after_the_old_rows(
    services: Services, tmp_path: Path
) -> None:
    """The previous version's rows have no hash: they stay readable, outside the chain,
    which starts at the first row this version writes."""
    assert {"prev_hash", "hash"} <= columns(tmp_path / "teamotp.db")
    services.vault.add(OWNER, "amazon-us", SECRET)
    state = services.audit.chain(OWNER)
    assert state.intact
    assert state.unchained == len(LEGACY_ROWS)
    assert state.rows > len(LEGACY_ROWS)
    with closing(sqlite3.connect(tmp_path / "teamotp.db")) as db, db:
        db.execute("UPDATE audit_events SET hash = NULL WHERE id = ?", (state.head_id,))
    assert services.audit.chain(OWNER).broken_at == state.head_id
