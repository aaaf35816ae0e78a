"""Holding a code request until an admin approves it (`/policy NAME approval admin`).

A member's request for such an account needs a one-line reason and waits, in the store,
for an admin's Approve or Deny, for `REQUEST_LIFETIME` seconds. The request keeps where
its code goes as plain numbers (`Origin`), so an approval after a restart still delivers.
Admins and owners decide approvals themselves: their own requests are never held.

This module is what `bot.rules.codes` needs to hold a request; deciding one is
`bot.rules.approvals`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.rules.accounts import account_info
from bot.rules.auditlog import record
from bot.rules.clock import utc
from bot.rules.detector import carries_secret
from bot.rules.errors import InvalidInput, TeamOtpError
from bot.rules.model import AccountInfo, GrantedCode, Person, Place, Recipient
from storage.models import Account, CodeRequest
from storage.repositories import Repositories

REQUEST_LIFETIME = 300.0  # unanswered for five minutes: expired
MAX_REASON = 200  # characters
STANDING_SECONDS = 3600  # "Approve for 1 h"
MAX_STANDING_SECONDS = 86400


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Origin:
    """Where a request was made, so its answer can be sent there later: the chat, its
    forum topic and the message to quote (in groups)."""

    chat_id: int
    private: bool
    thread_id: int | None = None
    reply_to: int | None = None

    @classmethod
    def of(cls, place: Place) -> Origin:
        return cls(place.chat_id, place.private)


@dataclass(frozen=True)
class ReasonNeeded:
    """The account needs an admin's approval and the request gave no reason: ask for one."""

    account: AccountInfo


@dataclass(frozen=True)
class Request:
    """A held code request, as the admins and the requester are shown it."""

    id: int
    requester: Person
    account: AccountInfo
    reason: str
    place: Place
    origin: Origin
    at: datetime
    expires_at: datetime
    status: Status = Status.PENDING
    decided_by: str | None = None
    approved_for: int | None = None  # seconds of a standing approval given with it


@dataclass(frozen=True)
class Held:
    """The request waits: these admins (notifications on) are asked to decide it."""

    request: Request
    admins: tuple[Recipient, ...]


@dataclass(frozen=True)
class AdminMessage:
    """A message that asked an admin to decide a request, in that admin's language."""

    chat_id: int
    message_id: int
    language_code: str | None = None


@dataclass(frozen=True)
class Decision:
    """What one press on Approve or Deny did. `won`: this press decided the request (of
    several presses exactly one does); else `request` says who did, or that it expired."""

    request: Request
    won: bool
    messages: tuple[AdminMessage, ...]
    granted: GrantedCode | None = None  # approved, and the requester may have the code
    # Approved, but the requester may no longer have the code (the bot is locked, the
    # grant ended...): what they are told, and the reason's code for the admins.
    refusal: TeamOtpError | None = None
    refused_for: str | None = None


@dataclass(frozen=True)
class Expired:
    request: Request
    messages: tuple[AdminMessage, ...]


def check_reason(text: str) -> str:
    """The reason as it is kept: one line (runs of spaces and line breaks become one
    space), never empty, at most `MAX_REASON` characters, and never anything that reads
    as a secret (the gate deletes such a message; this keeps it out of the store too)."""
    reason = " ".join(text.split())
    if not reason:
        raise InvalidInput("approval.reason_empty")
    if carries_secret(reason):
        raise InvalidInput("approval.reason_secret")
    if len(reason) > MAX_REASON:
        raise InvalidInput("approval.reason_too_long", limit=MAX_REASON, length=len(reason))
    return reason


def standing_until(tx: Repositories, user_id: int, account_id: int, now: float) -> float | None:
    """Until when an "Approve for 1 h" still covers this person's requests for the account."""
    until = tx.standing.until(user_id, account_id)
    return None if until is None or until.timestamp() <= now else until.timestamp()


def hold(
    tx: Repositories,
    now: float,
    person: Person,
    place: Place,
    origin: Origin,
    account: Account,
    reason: str,
) -> Request:
    """Store the request and audit it, with its reason, in the caller's transaction. One
    request of a person for an account waits at a time: asking again does not ask the
    admins again."""
    waiting = tx.code_requests.waiting(person.id, account.id, utc(now))
    if waiting is not None:
        raise InvalidInput(
            "approval.already_waiting",
            account=account.name,
            time=waiting.expires_at.strftime("%H:%M:%S UTC"),
        )
    row = tx.code_requests.add(
        account_id=account.id,
        requester_id=person.id,
        requester_name=person.full_name,
        requester_username=person.username,
        requester_language=_language_of(tx, person),
        chat_id=origin.chat_id,
        chat_title=place.title,
        private=origin.private,
        thread_id=origin.thread_id,
        reply_to=origin.reply_to,
        reason=reason,
        created_at=utc(now),
        expires_at=utc(now + REQUEST_LIFETIME),
    )
    record(
        tx,
        now,
        actor_id=person.id,
        action="code.held",
        outcome="held",
        account=account.name,
        chat_id=origin.chat_id,
        params={"reason": reason, "request": row.id},
    )
    return view(row, account)


def _language_of(tx: Repositories, person: Person) -> str | None:
    """What the requester will be told the decision in: their /lang choice, else Telegram's."""
    known = tx.users.get(person.id)
    return (known.language if known is not None else None) or person.language_code


def view(row: CodeRequest, account: Account) -> Request:
    try:
        status = Status(row.status)
    except ValueError:  # edited by hand: it is decided, by nobody
        status = Status.EXPIRED
    return Request(
        id=row.id,
        requester=Person(
            row.requester_id,
            row.requester_name,
            username=row.requester_username,
            language_code=row.requester_language,
        ),
        account=account_info(account),
        reason=row.reason,
        place=Place(row.chat_id, private=row.private, title=row.chat_title),
        origin=Origin(row.chat_id, row.private, row.thread_id, row.reply_to),
        at=row.created_at,
        expires_at=row.expires_at,
        status=status,
        decided_by=row.decided_by_name,
        approved_for=row.approved_for_seconds,
    )
