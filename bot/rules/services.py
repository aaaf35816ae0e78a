"""The domain's services, built together over one store."""

from __future__ import annotations

from dataclasses import dataclass

from bot.rules.auditlog import AuditLog
from bot.rules.bootstrap import Bootstrap
from bot.rules.chats import Chats
from bot.rules.cleanup import Cleanup
from bot.rules.codes import Codes, Notifier
from bot.rules.core import Clock, Core
from bot.rules.directory import Directory
from bot.rules.roster import Roster
from bot.rules.vault import Vault
from storage.database import Store


@dataclass(frozen=True)
class Services:
    core: Core
    codes: Codes
    roster: Roster
    vault: Vault
    chats: Chats
    directory: Directory
    audit: AuditLog
    bootstrap: Bootstrap
    cleanup: Cleanup


def build_services(
    store: Store,
    notifier: Notifier,
    *,
    owner_ids: frozenset[int],
    audit_chat_id: int | None,
    clock: Clock,
) -> Services:
    core = Core(store, owner_ids=owner_ids, clock=clock)
    return Services(
        core=core,
        codes=Codes(core, notifier, audit_chat_id=audit_chat_id),
        roster=Roster(core),
        vault=Vault(core, notifier),
        chats=Chats(core),
        directory=Directory(core),
        audit=AuditLog(core),
        bootstrap=Bootstrap(core),
        cleanup=Cleanup(core),
    )
