"""A store's SQLite file changed behind the bot's back: as the first version wrote it (each
secret sealed bound to its account's uid only, no record of how secrets are bound, no table
of pending questions), or as someone holding the file could edit it.

Written with SQL and the master key, not with the project's code, so these stay what the
first version wrote whatever the code does now."""

from __future__ import annotations

import secrets
import sqlite3
from contextlib import closing
from pathlib import Path

from storage.crypto import SecretBox, decode_master_key
from storage.database import open_store

# What the first version sealed a secret with: the uid, and nothing that makes the code.
V1_ASSOCIATED_DATA = b"teamotp/account-secret/v1/"


def make_first_version_store(data_dir: Path) -> Path:
    """An empty store (schema and master key) as the first version left it; its path."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "teamotp.db"
    open_store(f"sqlite:///{path}", None, data_dir / "master.key").close()
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DELETE FROM settings WHERE key = 'secret_binding'")
        as_before_migrations(db)
        db.execute("DROP TABLE pending_inputs")
    return path


def as_before_migrations(db: sqlite3.Connection) -> None:
    """Make a store of today's schema one from before the migrations: no revision, and
    nothing the revisions after the first add (0003: what replicas share; 0004: the
    languages chosen with /lang; 0005: the SMS relays)."""
    db.execute("DROP TABLE alembic_version")
    db.execute("DROP TABLE processed_updates")
    db.execute("DROP TABLE outbox")
    db.execute("ALTER TABLE scheduled_deletions DROP COLUMN claimed_until")
    db.execute("DROP TABLE chat_languages")
    db.execute("ALTER TABLE users DROP COLUMN language")
    for table in ("sms_receipts", "sms_waits", "sms_held_codes", "sms_relays"):
        db.execute(f"DROP TABLE {table}")


def box_of(data_dir: Path) -> SecretBox:
    return SecretBox(decode_master_key((data_dir / "master.key").read_text(encoding="ascii")))


def add_first_version_account(
    data_dir: Path,
    name: str,
    secret: str,
    *,
    algorithm: str = "SHA1",
    digits: int = 6,
    period: int = 30,
) -> bytes:
    """An account row as the first version wrote it; returns its sealed secret."""
    uid = secrets.token_hex(16)
    sealed = box_of(data_dir).seal(secret.encode("ascii"), V1_ASSOCIATED_DATA + uid.encode())
    with closing(sqlite3.connect(data_dir / "teamotp.db")) as db, db:
        db.execute(
            "INSERT INTO accounts (uid, name, name_key, algorithm, digits, period, "
            "secret_sealed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (uid, name, name.lower(), algorithm, digits, period, sealed, "2025-12-01 10:00:00"),
        )
    return sealed


def sealed_secrets(data_dir: Path) -> dict[str, bytes]:
    """Each account's sealed secret, by name, as the file holds it now."""
    with closing(sqlite3.connect(data_dir / "teamotp.db")) as db:
        return dict(db.execute("SELECT name, secret_sealed FROM accounts"))


def change_account(data_dir: Path, name: str, column: str, value: object) -> None:
    """Edit one column of an account behind the bot's back, as someone with the file could."""
    assert column in {"uid", "algorithm", "digits", "period", "secret_sealed"}, column
    with closing(sqlite3.connect(data_dir / "teamotp.db")) as db, db:
        db.execute(f"UPDATE accounts SET {column} = ? WHERE name = ?", (value, name))  # noqa: S608


def swap_secrets(data_dir: Path, one: str, other: str) -> None:
    """Swap two accounts' sealed secrets together with their uids (each stays a pair that
    was sealed together)."""
    with closing(sqlite3.connect(data_dir / "teamotp.db")) as db, db:
        rows = dict(
            (name, (uid, sealed))
            for name, uid, sealed in db.execute(
                "SELECT name, uid, secret_sealed FROM accounts WHERE name IN (?, ?)", (one, other)
            )
        )
        db.execute("UPDATE accounts SET uid = 'swapping' WHERE name = ?", (one,))
        for name, source in ((other, one), (one, other)):
            db.execute(
                "UPDATE accounts SET uid = ?, secret_sealed = ? WHERE name = ?",
                (*rows[source], name),
            )
