"""Opening the store: the engine, SQLite's pragmas, the schema and the key check.

Only the wiring in `teamotp` opens the store; everything else is handed the `Store`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session

from storage import schema
from storage.crypto import SecretBox
from storage.keyrotation import RotationError, pending_key_file, settle
from storage.keys import MasterKeyError, load_master_key, read_key_file
from storage.logged import keyed
from storage.models import Setting
from storage.sealed import KEY_CHECK
from storage.store import Store

logger = logging.getLogger(__name__)

# How the stored secrets are bound to their rows (see storage.repositories): recorded so
# that the upgrade from the first version's binding runs once.
SECRET_BINDING = "secret_binding"  # noqa: S105 - a setting's name, not a secret
CURRENT_BINDING = "v2"


class StoreError(Exception):
    """The store cannot be used; a one-line reason for the operator, with no password in it.

    `key` names the same reason in the message catalog (with `params` to fill it), so the
    server's commands can tell it in the operator's language; None: the text is all."""

    def __init__(self, message: str, key: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


def open_store(
    database_url: str, master_key: str | None, key_file: Path, *, migrate: bool = True
) -> Store:
    """Connect, check the master key against the store, then create what is missing.

    A wrong key is found before anything is written, so the store stays as it was. When
    opening fails, what this attempt made (a new SQLite file, a new key file) is removed:
    a half-made store would turn the next start's clear reason into a confusing one (a
    key file with no store, a store whose key was never kept).
    """
    new_file = _new_sqlite_file(database_url)
    key_file_was_there = master_key is not None or key_file.exists()
    try:
        return _open(database_url, master_key, key_file, migrate=migrate)
    except StoreError:
        if new_file is not None:
            for leftover in (new_file, *(Path(f"{new_file}{end}") for end in _SQLITE_SIDES)):
                leftover.unlink(missing_ok=True)
        if not key_file_was_there and key_file.is_file():
            key_file.unlink()
        raise


# The files SQLite keeps next to a database while it is open.
_SQLITE_SIDES = ("-wal", "-shm", "-journal")


def _new_sqlite_file(database_url: str) -> Path | None:
    """The SQLite file this URL names when it does not exist yet (so opening makes it)."""
    try:
        url = make_url(database_url)
    except (ArgumentError, ValueError):
        return None
    name = url.database
    if url.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if name.startswith("file:"):  # a URI: whoever writes one made the file on purpose
        return None
    path = Path(name)
    return None if path.exists() else path


def _open(database_url: str, master_key: str | None, key_file: Path, *, migrate: bool) -> Store:
    engine = _create_engine(database_url)
    shown = _shown_url(database_url)
    try:
        with engine.connect() as connection:
            has_schema = inspect(connection).has_table(Setting.__tablename__)
            key_check = None
            if has_schema:
                key_check = connection.execute(
                    select(Setting.value).where(Setting.key == KEY_CHECK)
                ).scalar_one_or_none()
    except SQLAlchemyError as error:
        engine.dispose()
        raise _cannot_open(shown, error) from None

    try:
        key = load_master_key(master_key, key_file, may_create=key_check is None)
    except MasterKeyError as error:
        engine.dispose()
        raise StoreError(str(error), error.key, **error.params) from None
    if master_key is None and key_check is not None:
        key, key_check = _settled(engine, shown, key_file, key)
    box = SecretBox(key)
    if key_check is not None and not box.matches(bytes.fromhex(key_check)):
        engine.dispose()
        raise StoreError(
            "the master key does not match the store (it was written with another key); "
            "nothing was changed",
            "store.wrong_key",
        )
    if has_schema:
        _check_writable(engine, shown)
    try:
        _bring_up_to_date(engine, shown, migrate=migrate)
        if key_check is None:
            with Session(engine) as session, session.begin():
                session.merge(Setting(key=KEY_CHECK, value=box.key_check().hex()))
        store = Store(engine, box)
        _bind_secrets(store)
    except SQLAlchemyError as error:
        engine.dispose()
        raise StoreError(
            f"cannot prepare the database {shown}: {_reason(error)}",
            "store.cannot_prepare",
            url=shown,
            reason=_reason(error),
        ) from None
    return store


def _settled(engine: Engine, shown: str, key_file: Path, key: bytes) -> tuple[bytes, str | None]:
    """The key from the key file, or the new key of a rotation cut short after it
    re-sealed the store (`storage.keyrotation`); and the key check value as it is now."""

    def key_check() -> str | None:
        with engine.connect() as connection:
            return connection.execute(
                select(Setting.value).where(Setting.key == KEY_CHECK)
            ).scalar_one_or_none()

    def key_check_value() -> bytes | None:
        found = key_check()
        return None if found is None else bytes.fromhex(found)

    try:
        key = settle(key_file, key, key_check_value)
        return key, key_check()
    except RotationError as error:
        engine.dispose()
        raise StoreError(str(error), error.key, **error.params) from None
    except SQLAlchemyError as error:
        engine.dispose()
        raise _cannot_open(shown, error) from None


def open_for_backup(database_url: str) -> Engine:
    """The store's database, to be read by `storage.backup` (no key needed: a backup
    copies the sealed values as they are). Nothing is made where there is no store."""
    if _new_sqlite_file(database_url) is not None:
        shown = _shown_url(database_url)
        raise StoreError(f"there is no store at {shown}", "store.none_at", url=shown)
    return _create_engine(database_url)


def schema_state(database_url: str) -> tuple[str | None, bool, str]:
    """The store's schema revision (None: new, or from before migrations), whether it has
    the bot's tables, and this version's revision: read only, no key needed, and no
    SQLite file made where there is none."""
    if _new_sqlite_file(database_url) is not None:
        return None, False, schema.head()
    engine = _create_engine(database_url)
    try:
        revision, has_tables = schema.state(engine)
    except SQLAlchemyError as error:
        raise _cannot_open(_shown_url(database_url), error) from None
    finally:
        engine.dispose()
    return revision, has_tables, schema.head()


@dataclass(frozen=True)
class StoreState:
    """A store as it is, read without its key and without changing anything: what
    `teamotp check` reports and what `teamotp init` looks at before it makes anything."""

    shown: str  # the database URL, without its password
    revision: str | None  # None: a new store, or one from before migrations
    has_tables: bool
    head: str  # this version's revision
    known: bool  # whether this version has the store's revision (else a newer one wrote it)
    key_check: bytes | None  # None: no key was ever set for this store
    secrets_bound: bool  # its secrets are bound to their rows as this version binds them

    @property
    def current(self) -> bool:
        """At this version's schema."""
        return self.revision == self.head


def read_state(database_url: str) -> StoreState:
    """What the store at this URL is; no SQLite file is made where there is none. Raises
    `StoreError` when the database cannot be reached or read."""
    shown = _shown_url(database_url)
    head = schema.head()
    if _new_sqlite_file(database_url) is not None:
        return StoreState(shown, None, False, head, True, None, False)
    engine = _create_engine(database_url)
    try:
        revision, has_tables = schema.state(engine)
        found: dict[str, str] = {}
        with engine.connect() as connection:
            if inspect(connection).has_table(Setting.__tablename__):
                wanted = (KEY_CHECK, SECRET_BINDING)
                rows = connection.execute(
                    select(Setting.key, Setting.value).where(Setting.key.in_(wanted))
                )
                found = {row.key: row.value for row in rows}
    except SQLAlchemyError as error:
        raise _cannot_open(shown, error) from None
    finally:
        engine.dispose()
    key_check = found.get(KEY_CHECK)
    return StoreState(
        shown=shown,
        revision=revision,
        has_tables=has_tables,
        head=head,
        known=revision is None or schema.knows(revision),
        key_check=None if key_check is None else bytes.fromhex(key_check),
        secrets_bound=found.get(SECRET_BINDING) == CURRENT_BINDING,
    )


class KeyMatch(Enum):
    MATCHES = "matches"
    # `teamotp rotate-key` was cut short after it re-sealed the store: the new key, beside
    # the key file, opens it, and the next opening of the store finishes the rotation.
    ROTATION_CUT_SHORT = "rotation_cut_short"
    WRONG = "wrong"


def match_key(key_check: bytes, master_key: str | None, key_file: Path) -> tuple[KeyMatch, bytes]:
    """Whether the configured key opens a store with this key check value, and the key that
    does (when one does); nothing is made, moved or finished. Raises `StoreError` when
    there is no usable key (a missing file, a directory, no key in it)."""
    try:
        key = load_master_key(master_key, key_file, may_create=False)
        if SecretBox(key).matches(key_check):
            return KeyMatch.MATCHES, key
        pending = pending_key_file(key_file)
        if master_key is None and pending.is_file():
            new = read_key_file(pending)
            if SecretBox(new).matches(key_check):
                return KeyMatch.ROTATION_CUT_SHORT, new
    except MasterKeyError as error:
        raise StoreError(str(error), error.key, **error.params) from None
    return KeyMatch.WRONG, key


def open_as_it_is(database_url: str, key: bytes) -> Store:
    """The store with this key, nothing made, upgraded or bound: for reading what it holds
    (`teamotp check`), once `read_state` and `match_key` said it is current and the key
    opens it."""
    return Store(_create_engine(database_url), SecretBox(key))


def _check_writable(engine: Engine, shown: str) -> None:
    """Refuse a store the bot may only read now, rather than at the first code request:
    a write that changes nothing, rolled back, fails just as a real one would."""
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            connection.execute(
                update(Setting).where(Setting.key == KEY_CHECK).values(value=Setting.value)
            )
            transaction.rollback()
    except SQLAlchemyError as error:
        engine.dispose()
        raise StoreError(
            f"cannot write the database {shown}: {_reason(error)}; the bot must be able to "
            "write it: check the file's owner and permissions",
            "store.cannot_write",
            url=shown,
            reason=_reason(error),
        ) from None


def _bind_secrets(store: Store) -> None:
    """Bind every stored secret to its code settings, once per store, in one transaction.

    A store written by the first version has its secrets bound to the uid alone; those
    are re-sealed now. Nothing here logs a secret; an account whose secret no longer
    opens is named, so the operator knows which one to re-add."""
    with store.transaction() as tx:
        if tx.settings.get(SECRET_BINDING) == CURRENT_BINDING:
            return
        done = tx.accounts.rebind_v1()
        tx.settings.put(SECRET_BINDING, CURRENT_BINDING)
    if done.resealed:
        logger.info(
            "store upgraded: %d stored secrets are now bound to their code settings",
            done.resealed,
            extra=keyed("store.rebound", count=done.resealed),
        )
    if done.unreadable:
        logger.warning(
            "the stored secrets of these accounts cannot be read (changed outside the bot); "
            "remove and re-add them: %s",
            ", ".join(done.unreadable),
            extra=keyed("store.unreadable_at_open", accounts=tuple(done.unreadable)),
        )


def _bring_up_to_date(engine: Engine, shown: str, *, migrate: bool) -> None:
    """The schema at the newest revision: made or upgraded by the migrations, or, when the
    operator keeps that to themselves (`TEAMOTP_AUTO_MIGRATE=0`), refused unless it is."""
    if not migrate:
        revision, has_tables = schema.state(engine)
        if revision != schema.head():
            found = revision or ("from before migrations" if has_tables else "empty")
            if revision:
                key = "store.schema_behind"
            else:
                key = (
                    "store.schema_behind_unversioned" if has_tables else "store.schema_behind_empty"
                )
            raise StoreError(
                f"the database {shown} is not at this version's schema ({found}, needs "
                f"{schema.head()}): run `teamotp migrate`, or set TEAMOTP_AUTO_MIGRATE=1",
                key,
                url=shown,
                found=found,
                head=schema.head(),
            )
        return
    try:
        schema.upgrade(engine)
    except schema.SchemaError as error:
        raise StoreError(str(error), error.key, **error.params) from None


# The extra of the package that brings each database's driver.
_DRIVER_EXTRAS = {"postgresql": "postgres"}


def _create_engine(database_url: str) -> Engine:
    try:
        url = make_url(database_url)
        kwargs: dict[str, Any] = {}
        if url.get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"timeout": 15}
        # hide_parameters: no value (a name, a ciphertext) in SQL logs or error messages.
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        raise StoreError(
            f"TEAMOTP_DATABASE_URL is not a usable database URL ({type(error).__name__}); "
            "expected e.g. sqlite:///data/teamotp.db or postgresql+psycopg://user@host/db",
            "store.bad_url",
            kind=type(error).__name__,
        ) from None
    except ImportError as error:
        hint = _DRIVER_EXTRAS.get(url.get_backend_name())
        raise StoreError(
            f"TEAMOTP_DATABASE_URL needs a database driver that is not installed: {error.name}"
            + (f"; install it with: pip install 'teamotp[{hint}]'" if hint else ""),
            "store.no_driver_hint" if hint else "store.no_driver",
            module=error.name,
            extra=hint,
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers and the writer work at once; foreign keys make cascades real."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _shown_url(database_url: str) -> str:
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(unparsable URL)"


def _cannot_open(shown: str, error: SQLAlchemyError) -> StoreError:
    return StoreError(
        f"cannot open the database {shown}: {_reason(error)}",
        "store.cannot_open",
        url=shown,
        reason=_reason(error),
    )


def _reason(error: SQLAlchemyError) -> str:
    """The driver's first line, which names the problem without echoing parameters."""
    original = getattr(error, "orig", None)
    text = str(original if original is not None else error)
    return text.strip().splitlines()[0][:200] if text.strip() else type(error).__name__
