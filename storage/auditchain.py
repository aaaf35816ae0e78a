"""The audit log's hash chain: each row carries the hash of the row before it, so a row
edited, removed or slipped in behind the bot's back shows as a broken link.

A row's hash is SHA-256 over the previous row's hash and the row's canonical content (id,
time, actor, action, outcome, account, chat, target, parameters, count and the legacy
text). Rows written before the chain existed have no hash: the chain starts at the first
row written with one (its previous hash is `GENESIS`; its id is kept in the store's
settings as `CHAIN_START`, so stripping the hashes off the first chained rows does not
pass them off as old ones), and a row without a hash from there on is a break.

A refusal repeated within a few minutes is counted on its first row (`bot.rules.auditlog`),
so that row's count changes after it was written. The bot then re-chains: the row and every
row after it are hashed again, in the same transaction. Only rows younger than the repeat
window can change this way, so the *settled head* (the newest row older than that window)
never changes again: that is what is posted to the audit chat, and a later rewrite of
history no longer leads to it.

Plain SHA-256, not a keyed hash: anyone can check the chain without the master key, and
someone who rewrites the file and re-hashes everything is caught by the heads the chat
already holds."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC

from storage.models import AuditEvent

GENESIS = "0" * 64
CHAIN_START = "audit_chain_start"


def digest(previous: str, event: AuditEvent) -> str:
    content = {
        "id": event.id,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "action": event.action,
        "outcome": event.outcome,
        "account": event.account,
        "chat": event.chat_id,
        "target": event.target_id,
        "params": event.params or {},
        "count": event.count or 1,
        "detail": event.detail,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{previous}\n{canonical}".encode("ascii")).hexdigest()


@dataclass(frozen=True)
class ChainState:
    """What a walk over the chain found. `broken_at` is the id of the first row that does
    not follow from the rows before it, with `problem` saying how (None: intact)."""

    rows: int
    unchained: int  # rows from before the chain, which it does not cover
    head_id: int | None
    head_hash: str | None
    broken_at: int | None = None
    problem: str | None = None  # "changed", "missing_before", "no_hash"

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(events: Iterable[AuditEvent], start: int | None = None) -> ChainState:
    """Walk the rows in id order and stop at the first broken link.

    A row whose `prev_hash` is not the hash of the row before it means a row between them
    was removed (or the one before was swapped for another); a row whose hash does not
    match its content was edited; a row without a hash once the chain started was slipped
    in (or had its hash removed)."""
    rows = unchained = 0
    previous: str | None = None
    head_id: int | None = None
    for event in events:
        rows += 1
        if event.hash is None:
            if previous is None and (start is None or event.id < start):
                unchained += 1
                continue
            return ChainState(rows, unchained, head_id, previous, event.id, "no_hash")
        expected_previous = GENESIS if previous is None else previous
        if event.prev_hash != expected_previous:
            return ChainState(rows, unchained, head_id, previous, event.id, "missing_before")
        if digest(expected_previous, event) != event.hash:
            return ChainState(rows, unchained, head_id, previous, event.id, "changed")
        previous, head_id = event.hash, event.id
    return ChainState(rows, unchained, head_id, previous)
