"""Backups of the store, and restoring them: the data of any store (SQLite or PostgreSQL)
as one SQLite file at the schema's revision, which restores into any store.

A backup is read in one read transaction (a snapshot: PostgreSQL's REPEATABLE READ, a
read transaction on SQLite's WAL), so a bot that goes on writing meanwhile changes none
of what it holds: its audit chain is whole, and no grant names an account it lacks. The
sealed values are copied as they are, never opened, with the key check value beside them,
so a backup opens with the key the store had and nothing else. The master key is never in
a backup: whoever holds both holds every secret.

The file is a plain SQLite database: the store's tables, `alembic_version` with the
schema's revision, and `backup_info` (what it is, which format, when it was made and from
what). A backup of an older schema is upgraded (a copy of it) when restored; one of a
newer schema is refused, since this version cannot know what its columns mean.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from storage import schema
from storage.crypto import SecretBox
from storage.durable import create_private, partial_path, publish
from storage.models import Account, AuditEvent, Base, Member, Setting
from storage.sealed import KEY_CHECK, Resealer
from storage.store import Store

FORMAT = "teamotp-backup"
FORMAT_VERSION = 1
_SQLITE_HEADER = b"SQLite format 3\x00"
_BATCH = 500

# Kept apart from the store's metadata: it is in a backup, never in a store.
_INFO = Table(
    "backup_info",
    MetaData(),
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)


# Told how much of some long work is done, and of how much: (done, total).
Progress = Callable[[int, int], None]


class BackupError(Exception):
    """A backup cannot be made or restored; one line for the operator, with no value of
    the store (no secret, no name) in it. `key` and `params` name the same words in the
    message catalog (see `storage.database.StoreError`)."""

    def __init__(self, message: str, key: str, **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Counts:
    """What a store or a backup holds, as the operator counts it: numbers, which the
    command that reports them puts in the operator's words."""

    accounts: int
    members: int
    audit_entries: int


@dataclass(frozen=True)
class Made:
    """What `write_backup` wrote."""

    counts: Counts
    revision: str


def write_backup(
    engine: Engine, destination: Path, *, made_by: str, progress: Progress | None = None
) -> Made:
    """Copy the store behind `engine` into a new backup file at `destination` (replacing
    one that is there only once the new one is complete), mode 0600. `progress` is told
    the rows copied so far, and of how many, after each batch."""
    if destination.is_dir():
        raise BackupError(
            f"{destination} is a folder: give the backup file's name",
            "backup.is_folder",
            path=destination,
        )
    if not destination.parent.is_dir():
        raise BackupError(
            f"the folder {destination.parent} does not exist",
            "backup.no_folder",
            path=destination.parent,
        )
    partial = partial_path(destination)
    try:
        create_private(partial)
    except OSError as error:
        raise BackupError(
            f"cannot write {destination}: {error.strerror}",
            "backup.cannot_write",
            path=destination,
            reason=error.strerror,
        ) from None
    try:
        made = _fill(engine, partial, made_by, progress or _quiet)
        try:
            publish(partial, destination)
        except OSError as error:
            raise BackupError(
                f"cannot write {destination}: {error.strerror}",
                "backup.cannot_write",
                path=destination,
                reason=error.strerror,
            ) from None
    except BaseException:
        for leftover in (partial, Path(f"{partial}-journal")):
            leftover.unlink(missing_ok=True)
        raise
    return made


def _quiet(done: int, total: int) -> None:
    return None


def _fill(engine: Engine, partial: Path, made_by: str, progress: Progress) -> Made:
    target = _backup_engine(partial)
    try:
        schema.upgrade(target)  # the schema of this version, made by its migrations
        with engine.connect() as source, _snapshot(source) as snapshot:
            revision = schema.revision_of(snapshot)
            if revision != schema.head():
                raise _not_current(revision)
            key_check = snapshot.execute(
                select(Setting.value).where(Setting.key == KEY_CHECK)
            ).scalar_one_or_none()
            if key_check is None:
                raise BackupError(
                    "the store has never been opened with a key: nothing to back up",
                    "backup.no_key_check",
                )
            with target.begin() as into:
                tables = Base.metadata.sorted_tables
                total = sum(
                    snapshot.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in tables
                )
                done = 0
                for table in tables:
                    for copied in _copy(snapshot, table, into):
                        done += copied
                        progress(done, total)
                counts = count(snapshot)
                info = {
                    "format": FORMAT,
                    "format_version": str(FORMAT_VERSION),
                    "revision": revision,
                    "made_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "made_by": made_by,
                    "source": engine.dialect.name,
                    "accounts": str(counts.accounts),
                    "members": str(counts.members),
                    "audit_entries": str(counts.audit_entries),
                }
                _INFO.create(into)
                into.execute(insert(_INFO), [{"key": k, "value": v} for k, v in info.items()])
    except SQLAlchemyError as error:
        raise BackupError(
            f"cannot back up the store: {_reason(error)}",
            "backup.cannot_back_up",
            reason=_reason(error),
        ) from None
    finally:
        target.dispose()
    return Made(counts, revision)


def _not_current(revision: str | None) -> BackupError:
    head = schema.head()
    if revision is None:
        return BackupError(
            f"the store's schema (none) is not this version's ({head}): "
            "run `teamotp migrate` first",
            "backup.store_schema_none",
            head=head,
        )
    if not schema.knows(revision):
        return BackupError(
            f"the store's schema ({revision}) is newer than this version of teamotp knows "
            f"({head}): back it up with the teamotp that runs the bot",
            "backup.store_schema_newer",
            revision=revision,
            head=head,
        )
    return BackupError(
        f"the store's schema ({revision}) is not this version's ({head}): "
        "run `teamotp migrate` first",
        "backup.store_schema_behind",
        revision=revision,
        head=head,
    )


@contextmanager
def _snapshot(connection: Connection) -> Iterator[Connection]:
    """One read transaction that sees the store as it was when it began, whatever is
    committed meanwhile. SQLite's driver opens no transaction for reads by itself (each
    SELECT would see the latest data), so it is begun by hand; PostgreSQL's REPEATABLE
    READ is a snapshot, and READ ONLY keeps a slip from writing."""
    if connection.dialect.name == "postgresql":
        connection = connection.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
    with connection.begin():
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")
            connection.execute(select(func.count()).select_from(Setting))  # the snapshot is taken
        yield connection


def _copy(source: Connection, table: Table, into: Connection) -> Iterator[int]:
    """Copy `table` a batch at a time; yields how many rows each batch held."""
    result = source.execution_options(yield_per=_BATCH).execute(
        select(table).order_by(*table.primary_key.columns)
    )
    for batch in result.mappings().partitions():
        into.execute(insert(table), [dict(row) for row in batch])
        yield len(batch)


def count(connection: Connection) -> Counts:
    def rows(model: type[Base]) -> int:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()

    return Counts(rows(Account), rows(Member), rows(AuditEvent))


def _backup_engine(path: Path) -> Engine:
    """A plain SQLite file, with no WAL beside it: a backup is one file to copy around."""
    return create_engine(
        "sqlite://", creator=lambda: sqlite3.connect(path), poolclass=NullPool, hide_parameters=True
    )


@dataclass(frozen=True)
class Backup:
    """A backup checked and ready to restore: a private copy at this version's schema."""

    path: Path
    engine: Engine
    info: Mapping[str, str]
    key_check: bytes
    counts: Counts

    @property
    def revision(self) -> str:
        return self.info["revision"]


@contextmanager
def open_backup(path: Path) -> Iterator[Backup]:
    """The backup at `path`, or a `BackupError` saying why it cannot be restored. The file
    itself is never written: a copy is checked (and upgraded, when older)."""
    _check_file(path)
    with tempfile.TemporaryDirectory(prefix="teamotp-restore-") as folder:
        copy = Path(folder) / "backup.db"
        try:
            shutil.copyfile(path, copy)
        except OSError as error:
            raise BackupError(
                f"cannot read the backup {path}: {error.strerror}",
                "backup.cannot_read",
                path=path,
                reason=error.strerror,
            ) from None
        engine = _backup_engine(copy)
        try:
            yield _checked(path, engine)
        except SQLAlchemyError as error:
            raise BackupError(
                f"cannot read the backup {path}: {_reason(error)}",
                "backup.cannot_read",
                path=path,
                reason=_reason(error),
            ) from None
        finally:
            engine.dispose()


def _check_file(path: Path) -> None:
    if not path.exists():
        raise BackupError(f"no backup file at {path}", "backup.missing", path=path)
    if path.is_dir():
        raise BackupError(
            f"{path} is a folder, not a backup file", "backup.folder_not_file", path=path
        )
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except OSError as error:
        raise BackupError(
            f"cannot read the backup {path}: {error.strerror}",
            "backup.cannot_read",
            path=path,
            reason=error.strerror,
        ) from None
    if header != _SQLITE_HEADER:
        raise BackupError(f"{path} is not a teamotp backup", "backup.not_a_backup", path=path)


def _checked(path: Path, engine: Engine) -> Backup:
    not_a_backup = BackupError(f"{path} is not a teamotp backup", "backup.not_a_backup", path=path)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(_INFO.name):
                raise not_a_backup
            info = {
                row.key: row.value for row in connection.execute(select(_INFO.c.key, _INFO.c.value))
            }
            revision = schema.revision_of(connection)
    except SQLAlchemyError:  # not a database after all, or a damaged one
        raise not_a_backup from None
    if info.get("format") != FORMAT or revision is None:
        raise not_a_backup
    if not info.get("format_version", "").isdecimal() or int(info["format_version"]) > 1:
        raise BackupError(
            f"the backup {path} was made by a newer version of teamotp (backup format "
            f"{info.get('format_version')}): restore it with that version",
            "backup.newer_format",
            path=path,
            format=info.get("format_version"),
        )
    if not schema.knows(revision):
        raise BackupError(
            f"the backup {path} has a newer schema ({revision}) than this version of teamotp "
            f"knows ({schema.head()}): restore it with the version that made it, or a newer one",
            "backup.newer_schema",
            path=path,
            revision=revision,
            head=schema.head(),
        )
    if revision != schema.head():
        schema.upgrade(engine)
    with engine.connect() as connection:
        key_check = connection.execute(
            select(Setting.value).where(Setting.key == KEY_CHECK)
        ).scalar_one_or_none()
        counts = count(connection)
    if key_check is None:
        raise not_a_backup
    return Backup(path, engine, {**info, "revision": revision}, bytes.fromhex(key_check), counts)


class StoreNotEmpty(BackupError):
    """The store holds data that a restore would replace, and `--force` was not given.
    `held` is what it holds: the command says it in the operator's words."""

    def __init__(self, held: Counts) -> None:
        super().__init__(
            f"the store is not empty (accounts: {held.accounts}, members: {held.members}, "
            f"audit entries: {held.audit_entries}): a restore would replace all of it; "
            "add --force to do so",
            "backup.store_not_empty",
            held=held,
        )
        self.held = held


@dataclass(frozen=True)
class Restored:
    counts: Counts
    resealed: int  # sealed values re-sealed under the store's key (0: the same key)
    replaced: Counts | None  # what the store held before, when it held anything


def restore(store: Store, backup: Backup, *, made_under: SecretBox | None, force: bool) -> Restored:
    """Replace everything in the store with the backup's data, in one transaction: when
    anything fails, the store is as it was.

    A backup sealed under the store's own key is copied as it is; one sealed under another
    key needs that key (`made_under`), and every sealed value is then opened with it and
    sealed again under the store's key, bound as before. The store keeps its own key check
    value. The audit chain is copied as it is (same ids, same hashes), so it verifies as it
    did in the store that was backed up."""
    resealer: Resealer | None = None
    if not store.box.matches(backup.key_check):
        if made_under is None:
            raise BackupError(
                "the backup was made under another master key than the store's",
                "backup.other_key",
            )
        if not made_under.matches(backup.key_check):
            raise BackupError(
                "the backup was made under another master key than the store's, and not "
                "under the one given",
                "backup.other_key_given",
            )
        resealer = Resealer(made_under, store.box)
    try:
        with store.engine.connect() as connection, connection.begin():
            _lock_everything(connection)
            before = count(connection)
            if _holds_anything(connection) and not force:
                raise StoreNotEmpty(before)
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(delete(table))
            with backup.engine.connect() as source:
                for table in Base.metadata.sorted_tables:
                    _copy_into(source, table, connection, resealer)
            if resealer is not None:
                resealer.check()
            connection.execute(
                update(Setting)
                .where(Setting.key == KEY_CHECK)
                .values(value=store.box.key_check().hex())
            )
            _continue_numbering(connection)
            after = count(connection)
    except SQLAlchemyError as error:
        raise BackupError(
            f"the backup cannot be restored: {_reason(error)}; the store was left as it was",
            "backup.cannot_restore",
            reason=_reason(error),
        ) from None
    held = before if before != Counts(0, 0, 0) else None
    return Restored(after, resealer.resealed if resealer else 0, held)


def _copy_into(
    source: Connection, table: Table, into: Connection, resealer: Resealer | None
) -> None:
    result = source.execution_options(yield_per=_BATCH).execute(
        select(table).order_by(*table.primary_key.columns)
    )
    for batch in result.mappings().partitions():
        rows: list[dict[str, Any]] = [
            dict(row) if resealer is None else resealer.row(table.name, dict(row)) for row in batch
        ]
        into.execute(insert(table), rows)


def _holds_anything(connection: Connection) -> bool:
    """Anything but the store's settings (its key check, how secrets are bound), which
    every opened store has."""
    return any(
        connection.execute(select(table).limit(1)).first() is not None
        for table in Base.metadata.sorted_tables
        if table.name != Setting.__tablename__
    )


def _lock_everything(connection: Connection) -> None:
    """No other writer between the check that the store is empty and the commit (and no
    reader of half a restore, on PostgreSQL, where readers see the old data until then)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        connection.execute(text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))


def _continue_numbering(connection: Connection) -> None:
    """PostgreSQL numbers new rows from a sequence, which rows inserted with their own ids
    do not move: set each past the highest id restored, or the next audit entry (account,
    ...) would collide with a restored one."""
    if connection.dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        highest = select(func.max(column)).scalar_subquery()
        sequence = func.pg_get_serial_sequence(f'"{table.name}"', column.name)
        connection.execute(select(func.setval(sequence, func.coalesce(highest, 0) + 1, False)))


def _reason(error: SQLAlchemyError) -> str:
    """The driver's first line, which names the problem without echoing parameters."""
    original = getattr(error, "orig", None)
    found = str(original if original is not None else error).strip()
    return found.splitlines()[0][:200] if found else type(error).__name__
