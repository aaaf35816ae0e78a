"""The rules, built together over one store: what the composition root hands the chat
layer (and the accounts command line)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.rules.access import Access
from bot.rules.approvals import Approvals
from bot.rules.auditlog import AuditLog
from bot.rules.bootstrap import Bootstrap
from bot.rules.cleanup import Cleanup
from bot.rules.clock import Clock
from bot.rules.codes import Codes
from bot.rules.deliveries import Deliveries
from bot.rules.departures import Departures
from bot.rules.directory import Directory
from bot.rules.expiry import Expiry
from bot.rules.freeze import Freeze
from bot.rules.groups import Groups
from bot.rules.integrity import Integrity
from bot.rules.languages import Languages
from bot.rules.limits import DEFAULT_CODES_PER_MINUTE, Limits
from bot.rules.notes import Notes
from bot.rules.notices import Notifier
from bot.rules.pending import Questions
from bot.rules.policies import Policies
from bot.rules.relays import Relays
from bot.rules.roster import Roster
from bot.rules.rotation import Rotations
from bot.rules.updates import Updates
from bot.rules.vault import Vault
from storage.store import Store


@dataclass(frozen=True)
class Services:
    access: Access
    codes: Codes
    roster: Roster
    vault: Vault
    groups: Groups
    directory: Directory
    audit: AuditLog
    bootstrap: Bootstrap
    cleanup: Cleanup
    questions: Questions
    limits: Limits
    integrity: Integrity
    policies: Policies
    freeze: Freeze
    expiry: Expiry
    departures: Departures
    rotations: Rotations
    notes: Notes
    deliveries: Deliveries
    approvals: Approvals
    updates: Updates
    languages: Languages
    relays: Relays


def build_services(
    store: Store,
    notifier: Notifier,
    *,
    owner_ids: frozenset[int],
    audit_chat_id: int | None,
    clock: Clock,
    bot_ids: frozenset[int] = frozenset(),
    codes_per_minute: int = DEFAULT_CODES_PER_MINUTE,
) -> Services:
    """`bot_ids`: the bot's own user id (and any other bot's) that can never be a member."""
    access = Access(store, owner_ids=owner_ids, clock=clock)
    directory = Directory(store, clock)
    return Services(
        access=access,
        codes=Codes(
            store,
            access,
            clock,
            notifier,
            audit_chat_id=audit_chat_id,
            per_minute=codes_per_minute,
        ),
        roster=Roster(store, access, clock, directory, notifier=notifier, bot_ids=bot_ids),
        vault=Vault(store, access, clock, notifier),
        groups=Groups(store, access, clock),
        directory=directory,
        audit=AuditLog(store, access, clock),
        bootstrap=Bootstrap(store, access, clock),
        cleanup=Cleanup(store, clock),
        questions=Questions(store, clock),
        limits=Limits(store, access, clock),
        integrity=Integrity(store, access, clock),
        policies=Policies(store, access, clock),
        freeze=Freeze(store, access, clock, notifier),
        expiry=Expiry(store, access, clock, notifier, audit_chat_id=audit_chat_id),
        departures=Departures(store, access, clock, notifier, bot_ids=bot_ids),
        rotations=Rotations(store, access, clock, notifier),
        notes=Notes(store, access, clock),
        deliveries=Deliveries(store, access, clock, notifier, audit_chat_id=audit_chat_id),
        approvals=Approvals(store, access, clock, notifier, audit_chat_id=audit_chat_id),
        updates=Updates(store, clock),
        languages=Languages(store, access, clock, directory),
        relays=Relays(
            store,
            access,
            clock,
            notifier,
            audit_chat_id=audit_chat_id,
            per_minute=codes_per_minute,
        ),
    )
