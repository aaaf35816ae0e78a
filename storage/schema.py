"""The store's schema, owned by Alembic: a new store is made by the migrations, an older
one is upgraded by them (at start, or by `teamotp migrate`), and the models and the
migrations are checked to describe the same schema (tests/storage/test_migrations.py).

Stores made before the migrations existed have no revision: they are brought to the
first revision's schema the way earlier versions did it (missing tables made, missing
nullable columns added), then stamped with it, and upgraded from there.

Alembic is imported only when a store is to be made or upgraded: a bot that starts on a
store already at `HEAD` reads the revision itself, and its process does without Alembic's
(and Mako's) ten MiB.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, Table, inspect, text

from storage.logged import keyed
from storage.models import Base

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# The revision that describes the schema of the last version without migrations: a store
# with no revision but with tables is brought to it, then stamped.
FIRST = "0001"
# The newest revision in migrations/versions (tests/storage/test_migrations.py checks that
# it is Alembic's head): a revision added is named here too.
HEAD = "0005"
# What later revisions add, which a store from before the migrations is not completed with:
# those revisions add it themselves.
_LATER_TABLES = frozenset(
    {"processed_updates", "outbox", "chat_languages"}  # 0003, 0004
    | {"sms_relays", "sms_receipts", "sms_waits", "sms_held_codes"}  # 0005
)
_LATER_COLUMNS = frozenset(
    {("scheduled_deletions", "claimed_until"), ("users", "language")}  # 0003, 0004
)


class SchemaError(Exception):
    """The schema cannot be brought up to date (or may not be, by the settings). `key` and
    `params` name the same words in the message catalog (see `storage.database.StoreError`)."""

    def __init__(self, message: str, key: str, **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


def head() -> str:
    return HEAD


def knows(revision: str) -> bool:
    """Whether this version has the revision (a store or backup at a revision it lacks was
    written by a newer version)."""
    if revision == HEAD:
        return True
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except CommandError:
        return False


def revision_of(connection: Connection) -> str | None:
    """The store's revision; None for a new store or one from before the migrations."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(found) > 1:
        raise SchemaError(
            "the store records more than one schema revision", "schema.several_revisions"
        )
    return found[0] if found else None


def state(engine: Engine) -> tuple[str | None, bool]:
    """(the store's revision, whether it has any of the bot's tables)."""
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        return revision_of(connection), bool(tables & set(Base.metadata.tables))


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the store to the newest revision; (the revision it had, the one it has now)."""
    before, has_tables = state(engine)
    target = head()
    if before == target:
        return before, target
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the old one, and dropping a
            # table deletes its rows first: with foreign keys on, that would cascade to the
            # rows that refer to it (an account's grants). Off for the migration (the pragma
            # only works outside a transaction), checked afterwards, on again.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        from alembic import command

        try:
            with connection.begin():
                if before is None and has_tables:
                    _adopt(connection)
                command.upgrade(_config(connection), "head")
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise SchemaError(
                        "the upgraded store has rows that refer to missing rows",
                        "schema.dangling_rows",
                    )
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
    if has_tables:  # a new store is made, not upgraded: nothing worth a line
        logger.info(
            "store schema upgraded from %s to %s",
            before or "before migrations",
            target,
            extra=keyed(
                "store.schema_upgraded" if before else "store.schema_upgraded_unversioned",
                found=before,
                head=target,
            ),
        )
    return before, target


def _adopt(connection: Connection) -> None:
    """A store from before the migrations: what earlier versions would have done at start
    (missing tables made, missing nullable columns added) gives the first revision's
    schema, which it is then stamped with."""
    Base.metadata.create_all(connection, tables=_first_revision_tables())
    inspector = inspect(connection)
    for table in _first_revision_tables():
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present or (table.name, column.name) in _LATER_COLUMNS:
                continue
            if not column.nullable:
                raise SchemaError(
                    f"the store's table {table.name} lacks the column {column.name}, "
                    "which cannot be added to existing rows",
                    "schema.missing_column",
                    table=table.name,
                    column=column.name,
                )
            kind = column.type.compile(dialect=connection.dialect)
            connection.execute(
                text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')
            )
            logger.info(
                "store upgraded: added %s.%s",
                table.name,
                column.name,
                extra=keyed("store.column_added", table=table.name, column=column.name),
            )
    from alembic import command

    command.stamp(_config(connection), FIRST)


def _first_revision_tables() -> list[Table]:
    """The tables a store from before the migrations is completed with: today's models,
    less what later revisions add (0002 only widens a column; 0003 adds two tables and a
    column, 0004 a table and a column, listed above). A revision that adds a table or a
    column must list it there (tests/storage/test_migrations.py adopts an old store and
    fails if not); a table made here with a column a later revision adds would fail that
    revision."""
    return [table for table in Base.metadata.sorted_tables if table.name not in _LATER_TABLES]


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config
