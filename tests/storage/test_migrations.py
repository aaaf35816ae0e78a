"""Alembic owns the schema: a new store is made by the migrations, an older one upgraded
by them at start (or refused, with `TEAMOTP_AUTO_MIGRATE=0`), a store from before the
migrations adopted; the models and the migrations describe the same schema. On SQLite and
on PostgreSQL (`TEAMOTP_TEST_DATABASE_URL`)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from storage import schema
from storage.database import StoreError, open_store, schema_state
from storage.models import Base
from tests.conftest import open_test_store
from tests.store_files import make_first_version_store


def migrate_to(database_url: str, revision: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            command.upgrade(schema._config(connection), revision)
    finally:
        engine.dispose()


def differences(database_url: str) -> list[object]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_the_head_named_in_the_code_is_the_newest_migration() -> None:
    """`schema.HEAD` lets a bot start without Alembic: a revision added and not named
    there would leave every store a revision behind, unnoticed."""
    config = Config()
    config.set_main_option("script_location", str(schema.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == schema.HEAD


def test_the_models_and_the_migrations_describe_the_same_schema(database_url: str) -> None:
    migrate_to(database_url, "head")
    assert differences(database_url) == []


def test_a_new_store_is_made_by_the_migrations_at_the_newest_revision(
    tmp_path: Path, database_url: str
) -> None:
    open_test_store(tmp_path, database_url).close()
    revision, has_tables, head = schema_state(database_url)
    assert revision == head == schema.head()
    assert has_tables


def test_a_store_of_the_first_revision_keeps_everything_when_upgraded(
    tmp_path: Path, database_url: str
) -> None:
    """A store at the first revision, with an account, a member and a grant of it; opening
    it upgrades it to the newest revision, and every row is still there (on SQLite a table
    rebuilt by a migration must not take the rows that refer to it along)."""
    migrate_to(database_url, schema.FIRST)
    now = datetime.now(UTC)
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            tables = Base.metadata.tables
            connection.execute(
                tables["accounts"].insert(),
                {
                    "id": 1,
                    "uid": "u" * 32,
                    "name": "amazon-us",
                    "name_key": "amazon-us",
                    "issuer": "Amazon",
                    "algorithm": "SHA1",
                    "digits": 6,
                    "period": 30,
                    "secret_sealed": b"sealed",
                    "created_at": now,
                },
            )
            connection.execute(
                tables["members"].insert(),
                {
                    "user_id": 7,
                    "role": "member",
                    "all_accounts": False,
                    "notify": True,
                    "added_at": now,
                },
            )
            connection.execute(tables["grants"].insert(), {"user_id": 7, "account_id": 1})
    finally:
        engine.dispose()
    reopened = open_test_store(tmp_path, database_url)
    try:
        with reopened.transaction() as tx:
            (account,) = tx.accounts.all()
            assert (account.name, account.issuer) == ("amazon-us", "Amazon")
            member = tx.members.get(7)
            assert member is not None
            assert tx.members.granted(member) == {1}
    finally:
        reopened.close()
    assert schema_state(database_url)[0] == schema.head()


def test_a_store_from_before_the_migrations_is_adopted_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    path = make_first_version_store(tmp_path)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("INSERT INTO settings (key, value) VALUES ('marker', 'kept')")
    url = f"sqlite:///{path}"
    assert schema_state(url)[:2] == (None, True)
    open_store(url, None, tmp_path / "master.key").close()
    assert schema_state(url)[0] == schema.head()
    assert differences(url) == []
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT value FROM settings WHERE key = 'marker'").fetchone() == ("kept",)


def test_a_store_a_later_version_made_before_the_migrations_is_adopted_on_either_database(
    tmp_path: Path, database_url: str
) -> None:
    """A store the last version before the migrations made (the first revision's schema,
    with no record of a revision) that an older version had started: a table and a
    nullable column of that schema are missing. It is completed, stamped, upgraded to the
    newest revision, and then matches the models; its rows stay."""
    migrate_to(database_url, schema.FIRST)
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE alembic_version"))
            connection.execute(text("DROP TABLE code_request_messages"))
            connection.execute(text("ALTER TABLE accounts DROP COLUMN note_sealed"))
            connection.execute(text("INSERT INTO settings (key, value) VALUES ('marker', 'kept')"))
    finally:
        engine.dispose()
    assert schema_state(database_url)[:2] == (None, True)
    open_test_store(tmp_path, database_url).close()
    assert schema_state(database_url)[0] == schema.head()
    assert differences(database_url) == []
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT value FROM settings WHERE key = 'marker'"))
            assert kept.scalar_one() == "kept"
    finally:
        engine.dispose()


def test_with_auto_migrate_off_a_store_from_before_is_refused_and_left_alone(
    tmp_path: Path,
) -> None:
    path = make_first_version_store(tmp_path)
    before = path.read_bytes()
    with pytest.raises(StoreError) as refused:
        open_store(f"sqlite:///{path}", None, tmp_path / "master.key", migrate=False)
    reason = str(refused.value)
    assert "\n" not in reason
    assert "from before migrations" in reason
    assert "teamotp migrate" in reason
    assert path.read_bytes() == before


def test_with_auto_migrate_off_an_empty_database_is_refused_and_nothing_is_made(
    tmp_path: Path,
) -> None:
    with pytest.raises(StoreError) as refused:
        open_store(
            f"sqlite:///{tmp_path / 'teamotp.db'}", None, tmp_path / "master.key", migrate=False
        )
    assert "(empty, needs" in str(refused.value)
    assert not (tmp_path / "teamotp.db").exists()
    assert not (tmp_path / "master.key").exists()


def test_with_auto_migrate_off_a_current_store_opens(tmp_path: Path, database_url: str) -> None:
    open_test_store(tmp_path, database_url).close()
    open_store(database_url, None, tmp_path / "master.key", migrate=False).close()


def test_a_missing_database_driver_names_the_extra_to_install(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as refused:
        open_store("postgresql+pg8000://teamotp@127.0.0.1/teamotp", None, tmp_path / "k")
    assert "pip install 'teamotp[postgres]'" in str(refused.value)
