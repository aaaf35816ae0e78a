"""Handing out codes: who may see which account's code, where, and who hears of it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from bot.rules.access import Access
from bot.rules.accounts import account_info, policy_of, spec_of
from bot.rules.auditlog import record
from bot.rules.clock import Clock, utc
from bot.rules.detector import carries_secret
from bot.rules.errors import (
    ChatNotApproved,
    InvalidInput,
    NotAMember,
    TeamOtpError,
    TooManyCodes,
    UnreadableSecret,
)
from bot.rules.freeze import Locked, check_unlocked, lock_state
from bot.rules.holds import Held, Origin, ReasonNeeded, check_reason, hold, standing_until
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
    Approval,
    CodeRequestNotice,
    GrantedCode,
    IssuedCode,
    Person,
    Picker,
    Place,
    Recipient,
    Role,
)
from bot.rules.names import echoable
from bot.rules.notices import Notifier
from bot.rules.otp import code_at
from bot.rules.terms import end_of
from bot.rules.visibility import Page, Visible
from storage.models import Account
from storage.repositories import Repositories
from storage.store import Store

# What a code request can end in: the code, a choice of accounts, a question for the reason
# an approval needs, or a request held for an admin's approval.
CodeResult = GrantedCode | Picker | ReasonNeeded | Held


def visible_accounts(tx: Repositories, user_id: int, role: Role, *, at: float) -> list[Account]:
    """Every account the person may use (for `/accounts`; a request looks up only what it
    needs, through `Visible`): admins and owners use every account; a member those granted
    to them whose grant has not ended at `at`: by name, or by a plain `/add` for each
    account whose policy lets a plain `/add` include it."""
    visible = Visible(tx, user_id, role, at=at)
    return [account for account in tx.accounts.all() if visible.may_use(account)]


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
        self,
        person: Person,
        place: Place,
        asked: str | Sequence[str] | None,
        *,
        origin: Origin | None = None,
    ) -> CodeResult:
        """`/code [account] [reason…]`: one code, or a picker when several accounts fit.

        `asked` is the account's name, or the command's words. All the words together name
        the account when they do: a seed pasted in a group (`/code JBSW Y3DP …`) is then no
        name, and no reply quotes a piece of it. Else, when the first word names one of the
        person's accounts, the rest is the reason an approval needs. `origin`: where an
        approved code goes (by default the chat of `place`)."""
        words = [asked] if isinstance(asked, str) else list(asked or ())
        whole = " ".join(words) or None
        shown = whole if whole and echoable(whole) else None

        def choose(visible: Visible) -> _Choice:
            if whole is None:
                return _only_or_page(visible.page(), InvalidInput("code.no_accounts")), None
            found = visible.named(whole)
            if found is not None:
                return found, None
            if len(words) > 1 and (first := visible.named(words[0])) is not None:
                if carries_secret(whole):
                    # Read as a reason, a piece of it could pass for none: kept nowhere.
                    raise InvalidInput("code.secret_in_request")
                return first, " ".join(words[1:])
            if not echoable(whole):
                raise InvalidInput("code.not_a_name")
            # The start of a name (`/code amazon`): its one account, or a picker of them.
            unknown = InvalidInput("code.unknown_account", name=whole)
            return _only_or_page(visible.page(prefix=whole), unknown), None

        return self._decide(person, place, origin or Origin.of(place), choose, lambda _: shown)

    def page(self, person: Person, place: Place, start_id: int, prefix: int) -> Picker:
        """A press on the picker's "more" or "back": the page from that account on, of the
        accounts whose name begins as the first one's `prefix` characters do. Names only,
        nothing handed out: not audited, but checked as a request is."""
        with self._store.transaction() as tx:
            visible = self._still_allowed(tx, person, place)
            start = visible.by_id(start_id)
            if start is None:
                raise InvalidInput("code.button_not_yours")
            return _picker(visible.page(prefix=start.name_key[:prefix], start=start))

    def request_by_id(
        self,
        person: Person,
        place: Place,
        account_id: int,
        *,
        reason: str | None = None,
        origin: Origin | None = None,
    ) -> GrantedCode | ReasonNeeded | Held:
        """A press on a picker button, authorized for whoever pressed it; or, with `reason`,
        the reason the bot asked for after such a press or a `/code NAME`."""
        result = self._decide(
            person,
            place,
            origin or Origin.of(place),
            lambda visible: (_by_id(visible, account_id), reason),
            lambda tx: _name_of(tx, account_id),
        )
        assert not isinstance(result, Picker)  # noqa: S101 - _by_id never asks for a picker
        return result

    def renew(self, person: Person, place: Place, issued: IssuedCode) -> IssuedCode:
        """The current code of an account already granted, for a reply that waited for
        Telegram until its code expired. The request was decided, audited and told: this is
        the same request, so it adds no audit row and no notice; it only checks that the
        person still may see the account there."""
        with self._store.transaction() as tx:
            visible = self._still_allowed(tx, person, place)
            return issue(tx, _by_id(visible, issued.account.id), self._clock())

    def _still_allowed(self, tx: Repositories, person: Person, place: Place) -> Visible:
        """What the person may use in `place` now, for a step of a request already decided
        (a page of its picker, its code renewed): refused as a request would be."""
        role, member = self._access.standing(tx, person.id)
        if role is None:
            raise NotAMember(person.id)
        if not place.private and tx.chats.get(place.chat_id) is None:
            raise ChatNotApproved()
        check_unlocked(tx, role)
        return Visible(tx, person.id, role, at=self._clock(), member=member)

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
        origin: Origin,
        choose: _Chooser,
        asked: Callable[[Repositories], str | None],
    ) -> CodeResult:
        """Decide and audit in one transaction, and tell the admins of a refusal. A granted
        request is told by `tell`, once the reply was sent: "granted" must mean the person
        has the code. A refused request still names the account it asked for in the audit
        log and the notices (admins only), never in the reply.

        A member's request for an account that needs approval is held (with a reason) or
        answered with the question for one, unless an "Approve for 1 h" still covers it;
        admins and owners decide approvals, so theirs are never held."""
        error: TeamOtpError | None = None
        result: IssuedCode | None = None
        params: dict[str, str | int] = {}
        now = self._clock()
        with self._store.transaction() as tx:
            account_name = asked(tx)
            role, member = self._access.standing(tx, person.id)
            if role is None:
                error, outcome = NotAMember(person.id), "denied:not_member"
            elif not place.private and tx.chats.get(place.chat_id) is None:
                error, outcome = ChatNotApproved(), "denied:chat_not_approved"
            elif role is not Role.OWNER and (frozen := lock_state(tx)) is not None:
                error, outcome = Locked(frozen), "denied:locked"
            elif (wait := self._wait(tx, person.id, now)) is not None:
                error, outcome = TooManyCodes(seconds_to_wait(wait)), "denied:too_many_codes"
            else:
                visible = Visible(tx, person.id, role, at=now, member=member)
                try:
                    if role is not Role.MEMBER and not visible.any():
                        # The store has none: an admin adds the first, a member asks one.
                        raise InvalidInput("code.no_accounts_yet")
                    chosen, reason = choose(visible)
                except TeamOtpError as refused:
                    error, outcome = refused, f"denied:{refused.key.removeprefix('code.')}"
                else:
                    if isinstance(chosen, Page):
                        # Nothing was handed out yet: the press on the picker is the request.
                        return _picker(chosen)
                    account_name = chosen.name
                    if role is Role.MEMBER and policy_of(chosen).approval is Approval.ADMIN:
                        until = standing_until(tx, person.id, chosen.id, now)
                        if until is None:
                            if reason is None:
                                return ReasonNeeded(account_info(chosen))
                            held = hold(
                                tx, now, person, place, origin, chosen, check_reason(reason)
                            )
                            if self._per_minute:
                                use(tx, CODES, person.id, now, window=CODE_WINDOW)
                            admins = self._access.admins(tx, exclude=person.id, notify_only=True)
                            return Held(held, admins)
                        params["approved_until"] = utc(until).isoformat(timespec="seconds")
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
                params=params,
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
    the audit chat (in the language an admin set for it with /lang)."""
    found = access.admins(tx, exclude=exclude, notify_only=True)
    if audit_chat_id is not None and all(r.chat_id != audit_chat_id for r in found):
        found += (Recipient(audit_chat_id, tx.chat_languages.get(audit_chat_id)),)
    return found


# The account (or the page of accounts to pick from) a request chose, and the reason it gave.
_Choice = tuple[Account | Page, str | None]


class _Chooser(Protocol):
    def __call__(self, visible: Visible, /) -> _Choice: ...


def _only_or_page(page: Page, none: InvalidInput) -> Account | Page:
    """The one account a page holds, or the page to pick from; none: refused with `none`."""
    if not page.accounts:
        raise none
    if len(page.accounts) == 1 and page.more is None:
        return page.accounts[0]
    return page


def _picker(page: Page) -> Picker:
    return Picker(
        tuple(account_info(a) for a in page.accounts),
        more=None if page.more is None else page.more.id,
        back=None if page.back is None else page.back.id,
        prefix=len(page.prefix),
    )


def _name_of(tx: Repositories, account_id: int) -> str | None:
    account = tx.accounts.by_id(account_id)
    return None if account is None else account.name


def _by_id(visible: Visible, account_id: int) -> Account:
    found = visible.by_id(account_id)
    if found is None:
        raise InvalidInput("code.button_not_yours")
    return found
