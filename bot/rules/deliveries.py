"""Codes of accounts delivered in private (`/policy NAME delivery private`).

Asked for in a group, such a code goes to the requester's private chat, and the group
only sees a note: the people in it never see the code. Telegram lets a bot write to a
person only once they have pressed Start in its chat (and not blocked it since). Until
then the request waits here, behind a random token, for `LIFETIME` seconds, and the group
gets a link that opens the private chat with that token (`/start <token>`).

Pressing Start hands out the code current then, once, to the person who asked, after
deciding again: they may have been revoked, or the bot locked, since they asked. The
request was decided, audited and counted against their codes a minute when it was made,
so the link is not counted again; what it hands out (or refuses) is audited as
`code.link`, and the admins are told then.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace

from bot.rules.access import Access
from bot.rules.auditlog import record
from bot.rules.clock import Clock, utc
from bot.rules.codes import issue, recipients
from bot.rules.errors import InvalidInput, NotAMember, TeamOtpError, UnreadableSecret
from bot.rules.freeze import Locked, check_unlocked
from bot.rules.model import (
    AccountInfo,
    CodeRequestNotice,
    Delivery,
    GrantedCode,
    IssuedCode,
    Person,
    Place,
)
from bot.rules.notices import Notifier
from bot.rules.visibility import Visible
from storage.models import DeferredCode
from storage.repositories import Repositories
from storage.store import Store

LIFETIME = 600.0  # seconds a link hands out the code
# A deep link's payload is 1-64 characters of A-Za-z0-9_-; ours are the prefix and 22 of
# `token_urlsafe` (16 random bytes), so any other `/start` payload is not taken for one.
PREFIX = "code_"
_TOKEN_BYTES = 16
_LINK = re.compile(rf"{PREFIX}[A-Za-z0-9_-]{{22}}")


@dataclass(frozen=True)
class Deferral:
    """A deferred code's link: its token, and until when it hands out the code."""

    token: str
    until: float


def goes_private(account: AccountInfo, *, asked_in_private: bool) -> bool:
    """Whether a code asked for somewhere goes to the requester's private chat instead."""
    return account.policy.delivery is Delivery.PRIVATE and not asked_in_private


def sent_privately(granted: GrantedCode) -> GrantedCode:
    """The same grant, its notice saying the code went to the private chat."""
    return replace(granted, notice=replace(granted.notice, privately=True))


def is_link(payload: str) -> bool:
    """Whether a `/start` payload has the shape of one of our tokens (a stranger's
    `/start hello` is just /start)."""
    return _LINK.fullmatch(payload) is not None


class Deliveries:
    def __init__(
        self,
        store: Store,
        access: Access,
        clock: Clock,
        notifier: Notifier,
        *,
        audit_chat_id: int | None,
    ) -> None:
        self._store = store
        self._access = access
        self._clock = clock
        self._notifier = notifier
        self._audit_chat_id = audit_chat_id

    def defer(self, granted: GrantedCode, person: Person) -> Deferral:
        """The code could not be sent privately: keep the request behind a new token, and
        return it for the link. One per person and account: asking again replaces the
        earlier link. Expired ones are dropped here, so the table stays as small as the
        requests of the last minutes."""
        now = self._clock()
        token = PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)
        place = granted.notice.place
        with self._store.transaction() as tx:
            tx.deferred.remove_expired(utc(now))
            tx.deferred.put(
                token=token,
                user_id=person.id,
                account_id=granted.issued.account.id,
                chat_id=place.chat_id,
                chat_title=place.title,
                created_at=utc(now),
                expires_at=utc(now + LIFETIME),
            )
        return Deferral(token, now + LIFETIME)

    def redeem(self, person: Person, token: str) -> GrantedCode:
        """`/start <token>` in private: the deferred code, decided again, for the person it
        was deferred for, once. Another person's press leaves the link to its owner."""
        now = self._clock()
        issued: IssuedCode | None = None
        error: TeamOtpError | None = None
        notice: CodeRequestNotice | None = None
        with self._store.transaction() as tx:
            row = tx.deferred.get(token) if is_link(token) else None
            if row is None:
                # Used already, replaced by a newer request, or expired and dropped.
                raise InvalidInput("deliver.link_used")
            expired = row.expires_at.timestamp() <= now
            if row.user_id == person.id or expired:
                tx.deferred.remove(row)  # whatever is decided now: a link works once
            if expired:
                error = InvalidInput("deliver.link_expired", minutes=round(LIFETIME / 60))
            else:
                try:
                    issued, outcome = self._decide(tx, person, row, now), "granted"
                except TeamOtpError as refused:
                    error, outcome = refused, refusal(refused)
                account = tx.accounts.by_id(row.account_id)
                notice = CodeRequestNotice(
                    requester=person,
                    account=None if account is None else account.name,
                    place=Place(row.chat_id, private=False, title=row.chat_title),
                    at=utc(now),
                    outcome=outcome,
                    recipients=recipients(self._access, tx, self._audit_chat_id, exclude=person.id),
                    privately=True,
                )
                record(
                    tx,
                    now,
                    actor_id=person.id,
                    action="code.link",
                    outcome=outcome,
                    account=notice.account,
                    chat_id=row.chat_id,
                )
        if issued is None or notice is None:
            # A refusal is told now; a grant once the code arrived (`Codes.tell`).
            if notice is not None and notice.recipients:
                self._notifier.publish(notice)
            raise error or InvalidInput("deliver.link_used")
        return GrantedCode(issued, notice)

    def _decide(
        self, tx: Repositories, person: Person, row: DeferredCode, now: float
    ) -> IssuedCode:
        """What `Codes` decides for a request, but for the account the link holds, and
        neither the group (the code goes to the private chat) nor the count of codes
        (this request was counted when it was made)."""
        if row.user_id != person.id:
            raise InvalidInput("deliver.link_not_yours")
        role = self._access.role(tx, person.id)
        if role is None:
            raise NotAMember(person.id)
        check_unlocked(tx, role)
        account = tx.accounts.by_id(row.account_id)
        if account is None or not Visible(tx, person.id, role, at=now).may_use(account):
            raise InvalidInput("code.button_not_yours")
        return issue(tx, account, now)


def refusal(refused: TeamOtpError) -> str:
    """The audit outcome of a refused link, named as `Codes` names a refused request."""
    if isinstance(refused, NotAMember):
        return "denied:not_member"
    if isinstance(refused, Locked):
        return "denied:locked"
    if isinstance(refused, UnreadableSecret):
        return "denied:unreadable_secret"
    return f"denied:{refused.key.split('.', 1)[-1]}"
