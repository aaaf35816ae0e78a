"""Handing out codes: who may see which account's code, where, and who hears of it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from bot.rules.access import Access
from bot.rules.accounts import account_info, spec_of
from bot.rules.auditlog import record
from bot.rules.clock import Clock, utc
from bot.rules.errors import (
    ChatNotApproved,
    InvalidInput,
    NotAMember,
    TeamOtpError,
    TooManyCodes,
    UnreadableSecret,
)
from bot.rules.freeze import Locked, check_unlocked, lock_state
from bot.rules.limits import (
    CODE_WINDOW,
    CODES,
    DEFAULT_CODES_PER_MINUTE,
    seconds_to_wait,
    use,
    wait_for,
)
from bot.rules.model import (
    AccountInfo,
    CodeRequestNotice,
    GrantedCode,
    IssuedCode,
    Person,
    Picker,
    Place,
    Recipient,
    Role,
)
from bot.rules.names import echoable, name_key
from bot.rules.notices import Notifier
from bot.rules.otp import code_at
from bot.rules.terms import end_of, has_account
from storage.models import Account
from storage.repositories import Repositories
from storage.store import Store


def visible_accounts(tx: Repositories, user_id: int, role: Role, *, at: float) -> list[Account]:
    """Admins and owners use every account; a member those granted to them whose grant
    has not ended at `at`: by name, or by a plain `/add` for each account whose policy
    lets a plain `/add` include it."""
    accounts = list(tx.accounts.all())
    if role is not Role.MEMBER:
        return accounts
    member = tx.members.get(user_id)
    if member is None:
        return []
    now = utc(at)
    return [account for account in accounts if has_account(member, account, now)]


def issue(tx: Repositories, account: Account, at: float) -> IssuedCode:
    """Compute the code at `at`; the plain secret lives only inside this call."""
    return IssuedCode(account=account_info(account), code=code_at(spec_of(tx, account), at), at=at)


class Codes:
    def __init__(
        self,
        store: Store,
        access: Access,
        clock: Clock,
        notifier: Notifier,
        *,
        audit_chat_id: int | None,
        per_minute: int = DEFAULT_CODES_PER_MINUTE,
    ) -> None:
        self._store = store
        self._access = access
        self._clock = clock
        self._notifier = notifier
        self._audit_chat_id = audit_chat_id
        self._per_minute = per_minute  # codes per person; 0: no limit

    def accounts_for(self, person: Person) -> list[AccountInfo]:
        """The accounts this person may use, each with when their access to it ends."""
        now = self._clock()
        with self._store.transaction() as tx:
            role = self._access.role(tx, person.id)
            if role is None:
                raise NotAMember(person.id)
            member = tx.members.get(person.id) if role is Role.MEMBER else None
            return [
                replace(
                    account_info(a),
                    until=None if member is None else end_of(member, a, utc(now)),
                )
                for a in visible_accounts(tx, person.id, role, at=now)
            ]

    def request(
        self, person: Person, place: Place, account_name: str | None
    ) -> GrantedCode | Picker:
        """`/code [account]`: one code, or a picker when several accounts fit."""
        asked = account_name if account_name and echoable(account_name) else None
        return self._decide(
            person, place, lambda accounts: _by_name(accounts, account_name), lambda _: asked
        )

    def request_by_id(self, person: Person, place: Place, account_id: int) -> GrantedCode:
        """A press on a picker button, authorized for whoever pressed it."""
        result = self._decide(
            person,
            place,
            lambda accounts: _by_id(accounts, account_id),
            lambda tx: _name_of(tx, account_id),
        )
        assert isinstance(result, GrantedCode)  # noqa: S101 - _by_id never asks for a picker
        return result

    def renew(self, person: Person, place: Place, issued: IssuedCode) -> IssuedCode:
        """The current code of an account already granted, for a reply that waited for
        Telegram until its code expired. The request was decided, audited and told: this is
        the same request, so it adds no audit row and no notice; it only checks that the
        person still may see the account there."""
        now = self._clock()
        with self._store.transaction() as tx:
            role = self._access.role(tx, person.id)
            if role is None:
                raise NotAMember(person.id)
            if not place.private and tx.chats.get(place.chat_id) is None:
                raise ChatNotApproved()
            check_unlocked(tx, role)
            accounts = visible_accounts(tx, person.id, role, at=now)
            return issue(tx, _by_id(accounts, issued.account.id), now)

    def tell(self, grant: GrantedCode, *, delivered: bool) -> None:
        """Tell the admins of a granted request once its reply arrived, or that it could not
        be delivered."""
        notice = grant.notice if delivered else replace(grant.notice, outcome="undelivered")
        if notice.recipients:
            self._notifier.publish(notice)

    def _decide(
        self,
        person: Person,
        place: Place,
        choose: _Chooser,
        asked: Callable[[Repositories], str | None],
    ) -> GrantedCode | Picker:
        """Decide and audit in one transaction, and tell the admins of a refusal. A granted
        request is told by `tell`, once the reply was sent: "granted" must mean the person
        has the code. A refused request still names the account it asked for in the audit
        log and the notices (admins only), never in the reply."""
        error: TeamOtpError | None = None
        result: IssuedCode | None = None
        now = self._clock()
        with self._store.transaction() as tx:
            account_name = asked(tx)
            role = self._access.role(tx, person.id)
            if role is None:
                error, outcome = NotAMember(person.id), "denied:not_member"
            elif not place.private and tx.chats.get(place.chat_id) is None:
                error, outcome = ChatNotApproved(), "denied:chat_not_approved"
            elif role is not Role.OWNER and (frozen := lock_state(tx)) is not None:
                error, outcome = Locked(frozen), "denied:locked"
            elif (wait := self._wait(tx, person.id, now)) is not None:
                error, outcome = TooManyCodes(seconds_to_wait(wait)), "denied:too_many_codes"
            else:
                accounts = visible_accounts(tx, person.id, role, at=now)
                try:
                    chosen = choose(accounts)
                except TeamOtpError as refused:
                    error, outcome = refused, f"denied:{refused.key.removeprefix('code.')}"
                else:
                    if not isinstance(chosen, Account):
                        # Nothing was handed out yet: the press on the picker is the request.
                        return Picker(tuple(account_info(a) for a in chosen))
                    account_name = chosen.name
                    try:
                        result = issue(tx, chosen, now)
                    except UnreadableSecret as unreadable:
                        error, outcome = unreadable, "denied:unreadable_secret"
                    else:
                        outcome = "granted"
                        if self._per_minute:
                            use(tx, CODES, person.id, now, window=CODE_WINDOW)
            record(
                tx,
                now,
                actor_id=person.id,
                action="code",
                outcome=outcome,
                account=account_name,
                chat_id=place.chat_id,
            )
            notice = CodeRequestNotice(
                requester=person,
                account=account_name,
                place=place,
                at=utc(now),
                outcome=outcome,
                recipients=self._recipients(tx, exclude=person.id),
            )
        if error is not None:
            if notice.recipients:
                self._notifier.publish(notice)
            raise error
        assert result is not None  # noqa: S101
        return GrantedCode(result, notice)

    def _wait(self, tx: Repositories, person_id: int, now: float) -> float | None:
        """Seconds until `person_id` may have another code (None: now)."""
        if not self._per_minute:
            return None
        return wait_for(tx, CODES, person_id, now, allowed=self._per_minute, window=CODE_WINDOW)

    def _recipients(self, tx: Repositories, *, exclude: int) -> tuple[Recipient, ...]:
        return recipients(self._access, tx, self._audit_chat_id, exclude=exclude)


def recipients(
    access: Access, tx: Repositories, audit_chat_id: int | None, *, exclude: int
) -> tuple[Recipient, ...]:
    """Whom a code request is told to: admins and owners who kept notifications on, plus
    the audit chat."""
    found = access.admins(tx, exclude=exclude, notify_only=True)
    if audit_chat_id is not None and all(r.chat_id != audit_chat_id for r in found):
        found += (Recipient(audit_chat_id, None),)
    return found


class _Chooser(Protocol):
    def __call__(self, accounts: list[Account], /) -> Account | Sequence[Account]: ...


def _by_name(accounts: list[Account], account_name: str | None) -> Account | Sequence[Account]:
    if account_name is None:
        if not accounts:
            raise InvalidInput("code.no_accounts")
        return accounts[0] if len(accounts) == 1 else accounts
    key = name_key(account_name)
    for account in accounts:
        if account.name_key == key:
            return account
    if not echoable(account_name):
        raise InvalidInput("code.not_a_name")
    raise InvalidInput("code.unknown_account", name=account_name)


def _name_of(tx: Repositories, account_id: int) -> str | None:
    account = tx.accounts.by_id(account_id)
    return None if account is None else account.name


def _by_id(accounts: list[Account], account_id: int) -> Account:
    for account in accounts:
        if account.id == account_id:
            return account
    raise InvalidInput("code.button_not_yours")
