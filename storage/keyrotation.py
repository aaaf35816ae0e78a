"""A new master key for the store (`teamotp rotate-key`), and finishing one cut short.

The order makes a crash at any point harmless, with the store readable under exactly one
key, which the next start finds and names:

1. the new key is written to `KEYFILE.new` (and the old one kept as `KEYFILE.old-<time>`,
   for backups made before), each file whole or not at all;
2. one transaction re-seals every sealed value and the key check value under the new key;
3. `KEYFILE.new` is renamed over `KEYFILE`.

Killed before 2 commits, the store still uses the old key, which `KEYFILE` holds: the next
opening removes the unused `KEYFILE.new` and says so. Killed between 2 and 3, the store uses
the new key, which `KEYFILE.new` holds: the next opening finds that the key file no longer
matches but the new one does, finishes step 3, and says so. A lock file beside the key
(`KEYFILE.lock`) keeps two rotations, or a rotation and a bot starting, from crossing.

Only a key file can be rotated: a key given in the environment cannot be changed from here.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from storage.crypto import SecretBox, encode_master_key
from storage.durable import PRIVATE, sync_folder, write_private
from storage.keys import MasterKeyError, read_key_file
from storage.logged import keyed
from storage.models import Base, Setting
from storage.sealed import KEY_CHECK, SEALED_COLUMNS, Resealer
from storage.store import Store

logger = logging.getLogger(__name__)

# How long a bot that starts in the middle of a rotation waits for it to end.
LOCK_WAIT = 30.0


class RotationError(Exception):
    """The key cannot be rotated now; one line for the operator (never a key). `key` and
    `params` name the same words in the message catalog (see `storage.database.StoreError`)."""

    def __init__(self, message: str, key: str, **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


def pending_key_file(key_file: Path) -> Path:
    return key_file.with_name(f"{key_file.name}.new")


def lock_file(key_file: Path) -> Path:
    return key_file.with_name(f"{key_file.name}.lock")


def checkpoint(step: str) -> None:
    """A point between two steps, where the rotation may be cut short (killed, the power
    lost) and the store stays readable. Does nothing: tests stop the process here."""


@dataclass(frozen=True)
class Rotated:
    resealed: int  # sealed values now under the new key
    old_key_file: Path  # where the previous key is kept


@contextmanager
def _locked(key_file: Path, *, wait: float) -> Iterator[bool]:
    """Whether the rotation lock could be had within `wait` seconds (held while inside)."""
    fd = os.open(lock_file(key_file), os.O_RDWR | os.O_CREAT, PRIVATE)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.05)
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def rotate_key(store: Store, key_file: Path, *, now: datetime | None = None) -> Rotated:
    """Re-seal the store under a new key and make the key file hold it (see above). The
    store was opened with the key in `key_file`; it must not come from the environment."""
    pending = pending_key_file(key_file)
    with _locked(key_file, wait=0) as held:
        if not held:
            raise RotationError(
                "another `teamotp rotate-key` is running: wait for it to finish",
                "key_rotation.running",
            )
        old_key = _read(key_file)
        if not SecretBox(old_key).matches(store.box.key_check()):
            raise RotationError(
                f"the key file {key_file} no longer holds the key the store was opened with "
                "(was the key rotated meanwhile?): run `teamotp rotate-key` again",
                "key_rotation.key_file_changed",
                path=key_file,
            )
        kept = _free_name(key_file, now or datetime.now(UTC))
        new_key = SecretBox.generate_key()
        new_box = SecretBox(new_key)
        try:
            _write_key(kept, old_key)
            _write_key(pending, new_key)
            checkpoint("new key written")
            resealed = _reseal(store, new_box)
        except BaseException:
            # Nothing was committed: the store uses the old key, which stays where it was.
            pending.unlink(missing_ok=True)
            kept.unlink(missing_ok=True)
            raise
        checkpoint("committed")
        try:
            os.replace(pending, key_file)
            sync_folder(key_file.parent)
        except OSError as error:
            raise RotationError(
                f"the store now uses the new key, which is in {pending}, but {key_file} could "
                f"not be replaced with it ({error.strerror}): move {pending} to {key_file}",
                "key_rotation.cannot_replace",
                pending=pending,
                path=key_file,
                reason=error.strerror,
            ) from None
    return Rotated(resealed, kept)


def _free_name(key_file: Path, now: datetime) -> Path:
    """Where the previous key is kept: named by the time, never over an earlier one."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = key_file.with_name(f"{key_file.name}.old-{stamp}")
    n = 1
    while kept.exists():
        n += 1
        kept = key_file.with_name(f"{key_file.name}.old-{stamp}-{n}")
    return kept


def _write_key(path: Path, key: bytes) -> None:
    try:
        write_private(path, (encode_master_key(key) + "\n").encode("ascii"))
    except OSError as error:
        raise RotationError(
            f"cannot write {path}: {error.strerror}; nothing was changed",
            "key_rotation.cannot_write",
            path=path,
            reason=error.strerror,
        ) from None


def _reseal(store: Store, new_box: SecretBox) -> int:
    resealer = Resealer(store.box, new_box)
    try:
        with store.engine.connect() as connection, connection.begin():
            _lock_sealed(connection)
            stored = connection.execute(
                select(Setting.value).where(Setting.key == KEY_CHECK)
            ).scalar_one_or_none()
            if stored is None or not store.box.matches(bytes.fromhex(stored)):
                raise RotationError(
                    "the store's key changed since it was opened (another rotate-key?): "
                    "nothing was changed; run `teamotp rotate-key` again",
                    "key_rotation.store_key_changed",
                )
            for table in Base.metadata.sorted_tables:
                columns = SEALED_COLUMNS.get(table.name)
                if columns is None:
                    continue
                keys = list(table.primary_key.columns)
                for row in connection.execute(select(table).order_by(*keys)).mappings().all():
                    sealed = resealer.row(table.name, dict(row))
                    connection.execute(
                        update(table)
                        .where(*(key == row[key.name] for key in keys))
                        .values({column: sealed[column] for column in columns})
                    )
            resealer.check()
            connection.execute(
                update(Setting)
                .where(Setting.key == KEY_CHECK)
                .values(value=new_box.key_check().hex())
            )
            checkpoint("resealed")
    except SQLAlchemyError as error:
        raise RotationError(
            f"cannot re-seal the store ({type(error).__name__}): nothing was changed",
            "key_rotation.cannot_reseal",
            kind=type(error).__name__,
        ) from None
    return resealer.resealed


def _lock_sealed(connection: Connection) -> None:
    """No other writer between reading the sealed values and the commit: a value sealed
    under the old key after it was read would be left unreadable."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        names = ", ".join(f'"{name}"' for name in (*SEALED_COLUMNS, Setting.__tablename__))
        connection.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))


def settle(key_file: Path, key: bytes, read_key_check: Callable[[], bytes | None]) -> bytes:
    """The key the store is sealed under: `key` (from `key_file`), unless a rotation was
    cut short after it re-sealed the store, which is then finished. An unused new key left
    by a rotation cut short before it changed anything is removed. Either is logged, naming
    the key the store uses. Returns `key` when neither applies (it may not match)."""
    pending = pending_key_file(key_file)
    if not pending.exists():  # nearly always: no query, no lock
        return key
    check = read_key_check()
    if check is None:
        return key
    if SecretBox(key).matches(check):
        with _locked(key_file, wait=0) as held:
            # Held by a rotation running now: its new key is not in use yet, and stays.
            if held and SecretBox(key).matches(read_key_check() or b"") and pending.exists():
                pending.unlink()
                sync_folder(key_file.parent)
                logger.warning(
                    "a master key rotation was cut short before it changed the store: the "
                    "store still uses the key in %s (the old key); removed the unused new "
                    "key %s",
                    key_file,
                    pending,
                    extra=keyed("key.rotation_unused_removed", path=key_file, pending=pending),
                )
                return key
        if SecretBox(key).matches(read_key_check() or b""):
            return key
    with _locked(key_file, wait=LOCK_WAIT) as held:
        if not held:
            raise RotationError(
                "a master key rotation is running (teamotp rotate-key): start again once it "
                "has finished",
                "key_rotation.running_at_start",
            )
        check = read_key_check() or b""
        current = _read(key_file)
        if SecretBox(current).matches(check) or not pending.exists():
            return current
        new = _read(pending)
        if not SecretBox(new).matches(check):
            return current
        os.replace(pending, key_file)
        sync_folder(key_file.parent)
    logger.warning(
        "a master key rotation was cut short after it re-sealed the store: finished it; the "
        "store uses the new key, now in %s (the previous key is kept beside it as %s.old-*)",
        key_file,
        key_file.name,
        extra=keyed("key.rotation_finished", path=key_file, old=f"{key_file.name}.old-*"),
    )
    return new


def _read(key_file: Path) -> bytes:
    try:
        return read_key_file(key_file)
    except MasterKeyError as error:
        raise RotationError(str(error), error.key, **error.params) from None
