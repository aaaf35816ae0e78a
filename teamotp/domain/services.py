"""The domain's services, built together over one store."""

from __future__ import annotations

from dataclasses import dataclass

from teamotp.domain.auditlog import AuditLog
from teamotp.domain.bootstrap import Bootstrap
from teamotp.domain.chats import Chats
from teamotp.domain.cleanup import Cleanup
from teamotp.domain.codes import Codes, Notifier
from teamotp.domain.core import Clock, Core
from teamotp.domain.directory import Directory
from teamotp.domain.roster import Roster
from teamotp.domain.vault import Vault
from teamotp.storage.database import Store


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
