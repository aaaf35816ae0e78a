"""Opening the configured store and building the rules over it: shared by `teamotp run`
(through `teamotp.app`) and the server-side commands (`teamotp accounts`, `teamotp audit`).
Nothing here imports `telegram`, so those commands start without the Telegram library."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

from bot.rules.clock import Clock
from bot.rules.model import Notice
from bot.rules.notices import Notifier
from bot.rules.services import Services, build_services
from storage.database import StoreError, open_store
from storage.store import Store
from teamotp.config import Settings, load_settings
from teamotp.telling import OperatorError


class StartupError(OperatorError):
    """The bot cannot start; the message is one line for the operator."""

    @classmethod
    def of_store(cls, error: StoreError) -> StartupError:
        """The store's reason, in the catalog's words when it names an entry there."""
        if error.key is not None:
            return cls(error.key, **error.params)
        return cls("startup.as_said", said=str(error))


def open_configured_store(settings: Settings, *, migrate: bool | None = None) -> Store:
    """The configured store; `migrate` overrides TEAMOTP_AUTO_MIGRATE (`teamotp migrate`)."""
    uses_data_dir = settings.master_key is None or settings.database_url.startswith("sqlite:")
    made_data_dir = uses_data_dir and not settings.data_dir.exists()
    try:
        return _open(settings, uses_data_dir=uses_data_dir, migrate=migrate)
    except StartupError:
        if made_data_dir:  # nothing half-made behind: the folder goes too, when empty
            with contextlib.suppress(OSError):
                settings.data_dir.rmdir()
        raise


def _open(settings: Settings, *, uses_data_dir: bool, migrate: bool | None) -> Store:
    if uses_data_dir:
        try:
            settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise StartupError(
                "startup.data_dir_create", path=settings.data_dir, reason=error.strerror
            ) from None
        if not os.access(settings.data_dir, os.W_OK | os.X_OK):
            raise StartupError(
                "startup.data_dir_unwritable", path=settings.data_dir, uid=os.getuid()
            )
    try:
        return open_store(
            settings.database_url,
            settings.master_key.get() if settings.master_key else None,
            settings.master_key_file,
            migrate=settings.auto_migrate if migrate is None else migrate,
        )
    except StoreError as error:
        raise StartupError.of_store(error) from None


def build_rules(
    settings: Settings, store: Store, notifier: Notifier, clock: Clock, *, audit_chat: bool = True
) -> Services:
    return build_services(
        store,
        notifier,
        owner_ids=settings.owner_ids,
        audit_chat_id=settings.audit_chat_id if audit_chat else None,
        clock=clock,
        bot_ids=frozenset({settings.bot_id}) if settings.bot_id is not None else frozenset(),
        codes_per_minute=settings.codes_per_minute,
    )


class _NoNotices:
    """On the server there is nobody to notify; the audit log still records everything."""

    def publish(self, notice: Notice) -> None:
        return None


def rules_on(settings: Settings, store: Store, clock: Clock = time.time) -> Services:
    """The rules over an opened store, for a command run on the server (no chat, no
    audit chat)."""
    return build_rules(settings, store, _NoNotices(), clock, audit_chat=False)


@contextlib.contextmanager
def server_rules() -> Iterator[Services]:
    """The rules over the configured store, for a command run on the server, closed again
    afterwards. Raises `ConfigError` or `StartupError`."""
    settings = load_settings()
    store = open_configured_store(settings)
    try:
        yield rules_on(settings, store)
    finally:
        store.close()
