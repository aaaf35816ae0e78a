"""Deciding held code requests (`bot.rules.holds`): an admin's Approve or Deny, and the
expiry of requests nobody decided in time.

Several admins are asked at once, and any of them may press first: a decision changes the
request only while it is pending and not past its deadline, by a conditional update, so
exactly one decision takes effect (also with two processes on one database); every other
press is told who decided. An approval hands out the code current at that moment, after
checking the requester again (still a member who may see the account there, the bot not
locked): a request approved late is still only what the rules allow now.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.rules.access import Access
from bot.rules.auditlog import record
from bot.rules.clock import Clock, utc
from bot.rules.codes import issue
from bot.rules.errors import (
    ChatNotApproved,
    InvalidInput,
    NotAMember,
    TeamOtpError,
    UnreadableSecret,
)
from bot.rules.freeze import check_unlocked
from bot.rules.holds import (
    MAX_STANDING_SECONDS,
    AdminMessage,
    Decision,
    Expired,
    Request,
    Status,
    view,
)
from bot.rules.model import (
    CodeRequestNotice,
    GrantedCode,
    IssuedCode,
    Person,
    Recipient,
    Role,
)
from bot.rules.notices import Notifier
from bot.rules.visibility import Visible
from storage.models import Account, CodeRequest
from storage.repositories import Repositories
from storage.store import Store


class Approvals:
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

    def asked(self, request_id: int, messages: Sequence[AdminMessage]) -> Request | None:
        """Keep the messages that asked the admins, once Telegram gave their ids. An admin
        may have decided meanwhile (on a message sent first): then the request as decided,
        so the messages kept only now are updated too; None while it waits."""
        with self._store.transaction() as tx:
            row = tx.code_requests.get(request_id)
            if row is None:  # its account was removed meanwhile
                return None
            tx.code_requests.add_messages(
                request_id, [(m.chat_id, m.message_id, m.language_code) for m in messages]
            )
            if row.status == Status.PENDING:
                return None
            return view(row, _account(tx, row))

    def decide(
        self, actor: Person, request_id: int, *, approve: bool, for_seconds: int | None = None
    ) -> Decision:
        """Approve (with `for_seconds`: and this person's further requests for the account
        until then) or deny, in one transaction, if nobody decided before."""
        if for_seconds is not None and not 0 < for_seconds <= MAX_STANDING_SECONDS:
            raise ValueError("a standing approval lasts up to a day")
        now = self._clock()
        notice: CodeRequestNotice | None = None
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            won = tx.code_requests.decide(
                request_id,
                status=Status.APPROVED if approve else Status.DENIED,
                now=utc(now),
                by=actor.id,
                by_name=actor.full_name,
                approved_for_seconds=for_seconds if approve else None,
            )
            row = tx.code_requests.get(request_id)
            if row is None:
                raise InvalidInput("approval.gone")
            account = _account(tx, row)
            request = view(row, account)
            messages = _messages(tx, request_id)
            if not won:
                return Decision(request, won=False, messages=messages)
            params: dict[str, str | int] = {"request": request_id}
            if not approve:
                record(
                    tx,
                    now,
                    actor_id=actor.id,
                    action="code.denied",
                    account=account.name,
                    chat_id=request.place.chat_id,
                    target_id=request.requester.id,
                    params=params,
                )
                notice = self._notice(tx, request, "denied:refused_by_admin", now)
                decision = Decision(request, won=True, messages=messages)
            else:
                if for_seconds is not None:
                    params["for_seconds"] = for_seconds
                    tx.standing.forget_before(utc(now))  # those that ran out, of anyone
                    tx.standing.put(
                        user_id=request.requester.id,
                        account_id=account.id,
                        until=utc(now + for_seconds),
                        approved_by=actor.id,
                    )
                try:
                    issued = _issue(self._access, tx, request, account, now)
                except TeamOtpError as refused:
                    reason = _reason(refused)
                    record(
                        tx,
                        now,
                        actor_id=actor.id,
                        action="code.approved",
                        outcome=f"denied:{reason}",
                        account=account.name,
                        chat_id=request.place.chat_id,
                        target_id=request.requester.id,
                        params=params,
                    )
                    notice = self._notice(tx, request, f"denied:{reason}", now)
                    decision = Decision(
                        request, True, messages, refusal=refused, refused_for=reason
                    )
                else:
                    record(
                        tx,
                        now,
                        actor_id=actor.id,
                        action="code.approved",
                        account=account.name,
                        chat_id=request.place.chat_id,
                        target_id=request.requester.id,
                        params=params,
                    )
                    # Told (to the audit chat) once delivered, as every granted code is:
                    # the admins asked see the decision on their own messages.
                    granted = GrantedCode(issued, self._notice(tx, request, "granted", now))
                    decision = Decision(request, True, messages, granted=granted)
        if notice is not None and notice.recipients:
            self._notifier.publish(notice)
        return decision

    def expire_due(self) -> list[Expired]:
        """Requests nobody decided in time, expired now (also those whose time ran out
        while the bot was down); each one only once, even if two sweeps meet."""
        now = self._clock()
        expired: list[Expired] = []
        notices: list[CodeRequestNotice] = []
        with self._store.looking() as tx:
            if not tx.code_requests.due(utc(now)):
                return expired
        with self._store.transaction() as tx:
            for row in tx.code_requests.due(utc(now)):
                if not tx.code_requests.decide(
                    row.id, status=Status.EXPIRED, now=utc(now), by=None, by_name=None
                ):
                    continue
                fresh = tx.code_requests.get(row.id)
                assert fresh is not None  # noqa: S101 - changed just now, in this transaction
                account = _account(tx, fresh)
                request = view(fresh, account)
                record(
                    tx,
                    now,
                    actor_id=None,
                    action="code.expired",
                    account=account.name,
                    chat_id=request.place.chat_id,
                    target_id=request.requester.id,
                    params={"request": row.id},
                )
                notices.append(self._notice(tx, request, "denied:request_expired", now))
                expired.append(Expired(request, _messages(tx, row.id)))
        for notice in notices:
            if notice.recipients:
                self._notifier.publish(notice)
        return expired

    def _notice(
        self, tx: Repositories, request: Request, outcome: str, now: float
    ) -> CodeRequestNotice:
        """For the audit chat, which sees every request's outcome; the admins saw this one
        on the messages that asked them."""
        chat = self._audit_chat_id
        recipients = () if chat is None else (Recipient(chat, tx.chat_languages.get(chat)),)
        return CodeRequestNotice(
            requester=request.requester,
            account=request.account.name,
            place=request.place,
            at=utc(now),
            outcome=outcome,
            recipients=recipients,
        )


def _issue(
    access: Access, tx: Repositories, request: Request, account: Account, now: float
) -> IssuedCode:
    """The current code, for a requester checked again as if they asked now: still on the
    team, still granted the account, the group still approved, the bot not locked."""
    requester = request.requester.id
    role = access.role(tx, requester)
    if role is None:
        raise NotAMember(requester)
    if not request.place.private and tx.chats.get(request.place.chat_id) is None:
        raise ChatNotApproved()
    check_unlocked(tx, role)
    if not Visible(tx, requester, role, at=now).may_use(account):
        raise InvalidInput("code.button_not_yours")
    return issue(tx, account, now)


def _account(tx: Repositories, row: CodeRequest) -> Account:
    account = tx.accounts.by_id(row.account_id)
    if account is None:  # the row would have gone with it (cascade)
        raise InvalidInput("approval.gone")
    return account


def _messages(tx: Repositories, request_id: int) -> tuple[AdminMessage, ...]:
    return tuple(
        AdminMessage(m.chat_id, m.message_id, m.language_code)
        for m in tx.code_requests.messages(request_id)
    )


def _reason(refused: TeamOtpError) -> str:
    """The `reason.*` of a refusal, as the audit log and the notices name it."""
    if isinstance(refused, UnreadableSecret):
        return "unreadable_secret"
    return refused.key.split(".", 1)[-1]
