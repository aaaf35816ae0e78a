"""The audit log: every request and admin action, as an event code and its parameters.

Rows hold codes, not sentences (`member.add` with `accounts`, `code` with outcome
`denied:not_member`), so `/audit` reads them back in the reader's language.
Each action records its row in the same transaction as the change it describes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.rules.access import Access
from bot.rules.clock import Clock, utc
from bot.rules.errors import InvalidInput, NotAMember, TeamOtpError
from bot.rules.model import AuditEntry, Person, Role
from bot.rules.names import MAX_NAME_LENGTH
from storage.auditchain import ChainState
from storage.models import AuditEvent
from storage.repositories import Repositories
from storage.store import Store

DEFAULT_ENTRIES = 20
MAX_ENTRIES = 100
# The same refusal of the same person within this many seconds of the first is counted
# on the first's row: a flood of refusals stays a few rows.
REPEAT_WINDOW = 300.0
DENIED = "denied:"
# What `/audit admin` shows: changes to the team, its accounts and its groups.
ADMIN_ACTIONS = ("member.", "account.", "chat.", "notify.", "claim")
# When the chain's head was last posted to the audit chat (a setting of the store, so a
# restart does not post it again before its day is over).
HEAD_POSTED_AT = "audit_head_posted_at"
# Until when one replica holds the next post (it is posting it): the others do not.
HEAD_POST_HELD_UNTIL = "audit_chain_head_post_held_until"

Param = str | int
# The longest text a row keeps of one parameter: a row says what happened and to what,
# not everything someone typed, and a flood of long input stays a log of short rows.
# Longer text is cut, marked with "…"; so is an account name longer than a name can be.
MAX_PARAM_CHARS = 1024
CUT = "…"


def bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(CUT)] + CUT


@dataclass(frozen=True)
class AuditFilter:
    """Which rows `/audit` shows; every part given narrows them."""

    admin: bool = False
    denied: bool = False
    username: str | None = None  # without the @


def record(
    tx: Repositories,
    at: float,
    *,
    actor_id: int | None,
    action: str,
    outcome: str = "ok",
    account: str | None = None,
    chat_id: int | None = None,
    target_id: int | None = None,
    params: Mapping[str, Param] | None = None,
) -> None:
    """Append one row (or count a repeated refusal on its first row), bounded before it
    is stored: PostgreSQL refuses an account longer than its column, and the parameters
    (JSON) would otherwise keep whatever was typed."""
    if account is not None:
        account = bounded(account, MAX_NAME_LENGTH)
    if params:
        params = {
            key: bounded(value, MAX_PARAM_CHARS) if isinstance(value, str) else value
            for key, value in params.items()
        }
    if outcome.startswith(DENIED):
        for earlier in tx.audit.since(
            utc(at - REPEAT_WINDOW), actor_id=actor_id, action=action, outcome=outcome
        ):
            if (earlier.params or {}) == dict(params or {}) and earlier.target_id == target_id:
                # Details that differ between the repeats are dropped, not guessed.
                tx.audit.repeated(
                    earlier,
                    count=(earlier.count or 1) + 1,
                    account=earlier.account if earlier.account == account else None,
                    chat_id=earlier.chat_id if earlier.chat_id == chat_id else None,
                )
                return
    tx.audit.record(
        at=utc(at),
        actor_id=actor_id,
        action=action,
        outcome=outcome,
        account=account,
        chat_id=chat_id,
        target_id=target_id,
        params=params or {},
    )


def _entries(tx: Repositories, events: Sequence[AuditEvent]) -> list[AuditEntry]:
    """The rows as the log's readers see them, with the people they name by name."""
    ids = {e.actor_id for e in events if e.actor_id} | {e.target_id for e in events if e.target_id}
    users = tx.users.many(ids)

    def name(user_id: int | None) -> str | None:
        if user_id is None:
            return None
        known = users.get(user_id)
        if known is None:
            return str(user_id)
        return f"@{known.username}" if known.username else known.first_name or str(user_id)

    return [
        AuditEntry(
            at=e.at,
            actor_id=e.actor_id,
            actor_name=name(e.actor_id),
            action=e.action,
            outcome=e.outcome,
            account=e.account,
            chat_id=e.chat_id,
            target_id=e.target_id,
            target_name=name(e.target_id),
            params=tuple(sorted((e.params or {}).items())),
            legacy_detail=e.detail,
            count=e.count or 1,
        )
        for e in events
    ]


@dataclass(frozen=True)
class ChainHead:
    """The newest row that can no longer change, posted to the audit chat each day: a
    later rewrite of history no longer leads to a head the chat holds."""

    event_id: int
    at: float
    hash: str


class AuditLog:
    def __init__(self, store: Store, access: Access, clock: Clock) -> None:
        self._store = store
        self._access = access
        self._clock = clock

    def latest(
        self, actor: Person, count: int = DEFAULT_ENTRIES, only: AuditFilter | None = None
    ) -> list[AuditEntry]:
        count = max(1, min(count, MAX_ENTRIES))
        only = only or AuditFilter()
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            involving = None
            if only.username is not None:
                known = tx.users.by_username(only.username)
                if known is None:
                    raise InvalidInput("audit.unknown_user")
                involving = known.user_id
            events = tx.audit.latest(
                count,
                action_prefixes=ADMIN_ACTIONS if only.admin else (),
                outcome_prefix=DENIED if only.denied else None,
                involving=involving,
            )
            entries = _entries(tx, events)
            record(
                tx, self._clock(), actor_id=actor.id, action="audit.read", params={"count": count}
            )
            return entries

    def since(self, actor: Person, moment: float | None) -> list[AuditEntry]:
        """Every entry written at `moment` or later (None: all), oldest first, for the
        server's export (`teamotp audit`): no cap on how many, unlike `/audit`. Reading it
        is itself recorded, as any reading of the log."""
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            events = tx.audit.latest(None, since=None if moment is None else utc(moment))
            entries = _entries(tx, events)[::-1]
            record(
                tx,
                self._clock(),
                actor_id=actor.id,
                action="audit.read",
                params={"count": len(entries)},
            )
            return entries

    def refused(self, actor: Person, command: str, chat_id: int, refusal: TeamOtpError) -> None:
        """A command the sender's role does not allow: worth knowing who tried."""
        reason = "not_member" if isinstance(refusal, NotAMember) else "role"
        with self._store.transaction() as tx:
            record(
                tx,
                self._clock(),
                actor_id=actor.id,
                action="command",
                outcome=f"denied:{reason}",
                chat_id=chat_id,
                params={"command": command},
            )

    def chain(self, actor: Person) -> ChainState:
        """The whole chain checked (`/status`, `teamotp audit verify`). It reads every
        row in one transaction: fine for a team's log, and run only on request."""
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            return tx.audit.verify()

    def settled_head(self) -> ChainHead | None:
        """Rows younger than `REPEAT_WINDOW` may still be re-hashed when a refusal they
        hold repeats (storage.auditchain); the newest one older than that never is."""
        with self._store.transaction() as tx:
            row = tx.audit.settled_head(utc(self._clock() - REPEAT_WINDOW))
            if row is None or row.hash is None:
                return None
            return ChainHead(row.id, row.at.timestamp(), row.hash)

    def take_head_post(self, every: float, hold: float) -> float | None:
        """None: the caller posts the head now, and no other replica does for `hold`
        seconds (or until `mark_head_posted`). Otherwise: when the next post is due."""
        now = self._clock()
        with self._store.transaction() as tx:
            posted = tx.settings.get(HEAD_POSTED_AT)
            held = tx.settings.get(HEAD_POST_HELD_UNTIL)
            due = now if posted is None else float(posted) + every
            if held is not None:
                due = max(due, float(held))
            if due > now:
                return due
            tx.settings.put(HEAD_POST_HELD_UNTIL, repr(now + hold))
            return None

    def mark_head_posted(self) -> None:
        with self._store.transaction() as tx:
            tx.settings.put(HEAD_POSTED_AT, repr(self._clock()))
            tx.settings.remove(HEAD_POST_HELD_UNTIL)
