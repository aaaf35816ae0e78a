"""The SMS relay: the team's spare phone forwards each SMS it receives, and the code in it
goes to the one member who said they are logging in, under the rules a TOTP code follows.

The phone's app signs a post with the relay's secret, but the sign covers only the post's
time, not its text: it proves the post is fresh and from someone who holds the secret,
nothing more. So a post is also refused when its time is off by more than five minutes,
when its signature was seen already with another body, and dropped when the same SMS
came within ten minutes. What is remembered of a post is keyed with the relay's secret;
its text is never stored, logged, or shown to a member — only the code found in it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum

from bot.rules.access import Access
from bot.rules.accounts import account_info, policy_of
from bot.rules.auditlog import record
from bot.rules.clock import Clock, utc
from bot.rules.codes import recipients
from bot.rules.errors import (
    ChatNotApproved,
    InvalidInput,
    NotAMember,
    TeamOtpError,
    TooManyCodes,
)
from bot.rules.freeze import check_unlocked, lock_state
from bot.rules.holds import standing_until
from bot.rules.limits import (
    CODE_WINDOW,
    CODES,
    DEFAULT_CODES_PER_MINUTE,
    seconds_to_wait,
    use,
    wait_for,
)
from bot.rules.model import (
    Approval,
    Person,
    Place,
    Recipient,
    Role,
    SmsCode,
    SmsEvent,
    SmsNotice,
)
from bot.rules.names import echoable, name_key
from bot.rules.notices import Notifier
from bot.rules.smscodes import Ambiguous, Found, find_code
from bot.rules.smsposts import SmsPost, Unreadable
from bot.rules.smssign import FRESH_FOR, SAME_CONTENT_FOR, Verdict, content_key, replay_key, verify
from bot.rules.visibility import Visible
from storage.crypto import DecryptionError
from storage.models import Account, SmsRelay
from storage.repositories import Repositories
from storage.store import Store

WAIT_FOR = 300.0  # seconds a member waits for their SMS code
HOLD_FOR = 300.0  # seconds a code nobody waited for is kept for the first who asks
POSTS_PER_MINUTE = 30  # from one relay: a phone receives a few SMS a minute at most
POST_WINDOW = 60.0
REFUSED_PER_MINUTE = 30  # refused posts to one relay: past them, not even looked at
REFUSALS_TOLD_EVERY = 600.0  # a relay's refused posts are told once per ten minutes

# Buckets of the rate_hits table (the subject is the relay's id).
SMS_POSTS = "sms_posts"
SMS_REFUSED = "sms_refused"
SMS_REFUSALS_TOLD = "sms_refusals_told"


class Status(Enum):
    """What the phone is answered (an HTTP status, chosen by `teamotp`)."""

    ACCEPTED = "accepted"  # also a post seen already: the phone must not send it again
    REFUSED = "refused"  # wrong or missing credentials, stale, replayed: nothing about why
    UNREADABLE = "unreadable"  # a known relay, but its body is no SMS
    TOO_MANY = "too_many"


@dataclass(frozen=True)
class NewRelay:
    """What an admin is shown once, to set the phone up: the URL's id and the secret."""

    account: str
    path_id: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class RelayInfo:
    account: str
    changes: bool
    last_received_at: float | None


@dataclass(frozen=True)
class SmsDelivery:
    """A code to send to the member who waited, in private; `notice` is told once it
    arrived (or, through `Relays.delivered`, that it could not be)."""

    to: Recipient
    person: Person
    code: SmsCode
    notice: SmsNotice


@dataclass(frozen=True)
class Receipt:
    status: Status
    delivery: SmsDelivery | None = None


@dataclass(frozen=True)
class Waiting:
    """`/sms wait` started: the next code for the account comes until `until`."""

    account: str
    until: float


@dataclass(frozen=True)
class Given:
    """`/sms wait` found a code held for the account: it is this person's now."""

    code: SmsCode


class Relays:
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
        self._per_minute = per_minute

    # --- admins: the relays ---

    def add(self, person: Person, name: str) -> NewRelay:
        """`/sms add NAME`: a relay for the account, its id and secret shown this once."""
        now = self._clock()
        with self._store.transaction() as tx:
            self._access.require(tx, person.id, Role.ADMIN)
            account = _account(tx, name)
            if tx.relays.of(account.id) is not None:
                raise InvalidInput("sms.exists", name=account.name)
            path_id, secret = _new_credentials()
            tx.relays.add(account, path_id=path_id, secret=secret, by=person.id, at=utc(now))
            record(
                tx,
                now,
                actor_id=person.id,
                action="sms_relay",
                outcome="relay_added",
                account=account.name,
            )
            return NewRelay(account.name, path_id, secret)

    def rotate(self, person: Person, name: str) -> NewRelay:
        """`/sms rotate NAME`: a new id and secret; the phone must be set up again."""
        path_id, secret = _new_credentials()
        at = utc(self._clock())
        shown = self._change(
            person,
            name,
            "relay_rotated",
            lambda tx, relay: tx.relays.replace(relay, path_id=path_id, secret=secret, at=at),
        )
        return NewRelay(shown, path_id, secret)

    def remove(self, person: Person, name: str) -> str:
        """`/sms remove NAME`: the phone's posts are refused from now on."""
        return self._change(
            person, name, "relay_removed", lambda tx, relay: tx.relays.remove(relay)
        )

    def allow_changes(self, person: Person, name: str, on: bool) -> str:
        """`/sms changes NAME on|off`: whether codes that approve a change of the account
        (a new phone, a new password) are relayed too."""
        return self._change(
            person,
            name,
            "changes_on" if on else "changes_off",
            lambda tx, relay: tx.relays.set_changes(relay, on),
        )

    def listing(self, person: Person) -> list[RelayInfo]:
        with self._store.transaction() as tx:
            self._access.require(tx, person.id, Role.ADMIN)
            return [
                RelayInfo(
                    account=account.name,
                    changes=relay.changes,
                    last_received_at=None
                    if relay.last_received_at is None
                    else relay.last_received_at.timestamp(),
                )
                for relay, account in tx.relays.all()
            ]

    def _change(
        self,
        person: Person,
        name: str,
        outcome: str,
        change: Callable[[Repositories, SmsRelay], None],
    ) -> str:
        """An admin's change of the account's relay, audited; the account's name."""
        now = self._clock()
        with self._store.transaction() as tx:
            self._access.require(tx, person.id, Role.ADMIN)
            account, relay = _relay(tx, name)
            change(tx, relay)
            record(
                tx,
                now,
                actor_id=person.id,
                action="sms_relay",
                outcome=outcome,
                account=account.name,
            )
            return account.name

    # --- members: waiting for a code ---

    def wait(self, person: Person, place: Place, name: str | int) -> Waiting | Given:
        """`/sms wait NAME`, or the button under a code's reply (`name` is then the
        account's id): the code held for the account now, or the next one within
        `WAIT_FOR`, for this person alone. Checked as a code request is; a member needs
        an "Approve for 1 h" for an account whose codes need approval. A refusal is
        audited and told to the admins, as a refused code request is."""
        now = self._clock()
        with self._telling() as (tx, told):
            try:
                return self._wait(tx, told, person, place, name, now)
            except TeamOtpError as error:
                refused = error
            shown = name if isinstance(name, str) and echoable(name) else None
            if isinstance(name, int) and (account := tx.accounts.by_id(name)) is not None:
                shown = account.name
            reason = refused.key.rpartition(".")[2]
            record(
                tx,
                now,
                actor_id=person.id,
                action="sms_wait",
                outcome=f"denied:{reason}",
                account=shown,
                chat_id=place.chat_id,
            )
            self._tell(
                tx, told, SmsEvent.WAIT_REFUSED, shown or "—", now, person=person, reason=reason
            )
        raise refused

    def _wait(
        self,
        tx: Repositories,
        told: list[SmsNotice],
        person: Person,
        place: Place,
        name: str | int,
        now: float,
    ) -> Waiting | Given:
        role, member = self._access.standing(tx, person.id)
        if role is None:
            raise NotAMember(person.id)
        if not place.private and tx.chats.get(place.chat_id) is None:
            raise ChatNotApproved()
        check_unlocked(tx, role)
        visible = Visible(tx, person.id, role, at=now, member=member)
        account = visible.by_id(name) if isinstance(name, int) else visible.named(name)
        if account is None:
            if isinstance(name, int):
                raise InvalidInput("code.button_not_yours")
            if not echoable(name):
                raise InvalidInput("code.not_a_name")
            raise InvalidInput("code.unknown_account", name=name)
        if tx.relays.of(account.id) is None:
            raise InvalidInput("sms.no_relay", name=account.name)
        if (
            role is Role.MEMBER
            and policy_of(account).approval is Approval.ADMIN
            and standing_until(tx, person.id, account.id, now) is None
        ):
            raise InvalidInput("sms.needs_approval", name=account.name)
        if self._per_minute:
            wait = wait_for(tx, CODES, person.id, now, allowed=self._per_minute, window=CODE_WINDOW)
            if wait is not None:
                raise TooManyCodes(seconds_to_wait(wait))
            use(tx, CODES, person.id, now, window=CODE_WINDOW)
        held = tx.sms_held.of(account.id, utc(now))
        if held is not None:
            try:
                code = tx.sms_held.take(held, account)
            except DecryptionError:
                code = None  # changed outside the bot: as if nobody held one
            if code is not None:
                record(
                    tx,
                    now,
                    actor_id=person.id,
                    action="sms",
                    outcome=SmsEvent.HANDED,
                    account=account.name,
                    chat_id=place.chat_id,
                )
                self._tell(
                    tx,
                    told,
                    SmsEvent.HANDED,
                    account.name,
                    now,
                    person=person,
                    for_change=held.for_change,
                )
                return Given(
                    SmsCode(
                        account=account_info(account),
                        code=code,
                        received_at=held.received_at.timestamp(),
                        until=now + HOLD_FOR,
                        for_change=held.for_change,
                    )
                )
        other = tx.sms_waits.of(account.id, utc(now))
        if other is not None and other.user_id != person.id:
            known = tx.users.get(other.user_id)
            raise InvalidInput(
                "sms.someone_waiting",
                name=account.name,
                who=known.first_name if known is not None and known.first_name else other.user_id,
                seconds=seconds_to_wait(other.until.timestamp() - now),
            )
        tx.sms_waits.put(account.id, person.id, at=utc(now), until=utc(now + WAIT_FOR))
        record(
            tx,
            now,
            actor_id=person.id,
            action="sms_wait",
            outcome="started",
            account=account.name,
            chat_id=place.chat_id,
        )
        return Waiting(account.name, now + WAIT_FOR)

    # --- the phone ---

    def receive(self, path_id: str, post: SmsPost | Unreadable, body: bytes) -> Receipt:
        """One post to `/sms/<path_id>`: checked, remembered (keyed), and its code
        delivered to the member waiting, or held. The reply to the phone says nothing of
        why a post was refused."""
        now = self._clock()
        with self._telling() as (tx, told):
            relay = tx.relays.by_path(path_id)
            if relay is None:
                return Receipt(Status.REFUSED)
            account = tx.accounts.by_id(relay.account_id)
            assert account is not None  # noqa: S101 - a relay is removed with its account
            # Refused posts have a budget of their own: a stranger who found the URL can
            # use it up, never the phone's.
            if (
                wait_for(
                    tx, SMS_REFUSED, relay.id, now, allowed=REFUSED_PER_MINUTE, window=POST_WINDOW
                )
                is not None
            ):
                return Receipt(Status.TOO_MANY)
            try:
                secret = tx.relays.reveal(relay)
            except DecryptionError:
                self._refused(tx, told, relay, account, now, "unreadable_secret")
                return Receipt(Status.REFUSED)
            if isinstance(post, Unreadable):
                self._refused(tx, told, relay, account, now, "unreadable_post")
                return Receipt(Status.UNREADABLE)
            verdict = verify(post, secret, int(now * 1000))
            if verdict is not Verdict.OK:
                self._refused(tx, told, relay, account, now, _REASONS[verdict])
                return Receipt(Status.REFUSED)
            if (
                wait_for(tx, SMS_POSTS, relay.id, now, allowed=POSTS_PER_MINUTE, window=POST_WINDOW)
                is not None
            ):
                return Receipt(Status.TOO_MANY)
            use(tx, SMS_POSTS, relay.id, now, window=POST_WINDOW)
            seen = _Digests(secret, post, body)
            if seen.signature is not None:
                earlier = tx.sms_receipts.by_signature(
                    relay.id, seen.signature, utc(now - FRESH_FOR)
                )
                if earlier is not None:
                    if hmac.compare_digest(earlier.body, seen.body):
                        return Receipt(Status.ACCEPTED)  # the phone sent it again
                    self._refused(tx, told, relay, account, now, "replayed")
                    return Receipt(Status.REFUSED)
            repeated = tx.sms_receipts.by_content(
                relay.id, seen.content, utc(now - SAME_CONTENT_FOR)
            )
            tx.sms_receipts.forget_before(utc(now - max(FRESH_FOR, SAME_CONTENT_FOR)))
            tx.sms_receipts.add(
                relay.id,
                signature=seen.signature,
                body=seen.body,
                content=seen.content,
                at=utc(now),
            )
            tx.relays.received(relay, utc(now))
            if repeated is not None:
                return Receipt(Status.ACCEPTED)  # the same SMS forwarded twice
            return Receipt(Status.ACCEPTED, self._relay(tx, told, relay, account, post.text, now))

    def delivered(self, delivery: SmsDelivery, ok: bool) -> None:
        """The code reached the member (told), or could not be sent (held for them and the
        team instead, and told)."""
        if ok:
            if delivery.notice.recipients:
                self._notifier.publish(delivery.notice)
            return
        self.undelivered(delivery.person, delivery.code)

    def undelivered(self, person: Person, code: SmsCode) -> None:
        """A code handed to `person` that could not be sent to them (they never opened a
        private chat with the bot, or blocked it): kept again for whoever asks next, as
        if nobody had waited, and told."""
        now = self._clock()
        with self._telling() as (tx, told):
            account = tx.accounts.by_id(code.account.id)
            if account is None:
                return
            tx.sms_held.put(
                account,
                ticket=secrets.token_hex(8),
                code=code.code,
                for_change=code.for_change,
                at=utc(code.received_at),
                until=utc(now + HOLD_FOR),
            )
            record(
                tx,
                now,
                actor_id=None,
                action="sms",
                outcome=SmsEvent.UNDELIVERED,
                account=account.name,
                target_id=person.id,
            )
            self._tell(
                tx,
                told,
                SmsEvent.UNDELIVERED,
                account.name,
                now,
                person=person,
                for_change=code.for_change,
            )

    def tidy(self) -> int:
        """Held codes nobody asked for in time are dropped (told), ended waits told to
        the member who waited. The number of each done."""
        if not self.due():
            return 0
        now = self._clock()
        done = 0
        with self._telling() as (tx, told):
            for held in tx.sms_held.ended(utc(now)):
                account = tx.accounts.by_id(held.account_id)
                if account is None or not tx.sms_held.drop(held):
                    continue
                done += 1
                record(
                    tx,
                    now,
                    actor_id=None,
                    action="sms",
                    outcome=SmsEvent.DROPPED,
                    account=account.name,
                )
                self._tell(tx, told, SmsEvent.DROPPED, account.name, now)
            for wait in tx.sms_waits.ended(utc(now)):
                account = tx.accounts.by_id(wait.account_id)
                if not tx.sms_waits.take(wait) or account is None:
                    continue
                done += 1
                known = tx.users.get(wait.user_id)
                told.append(
                    SmsNotice(
                        SmsEvent.WAIT_ENDED,
                        account.name,
                        utc(now),
                        recipients=(
                            Recipient(wait.user_id, None if known is None else known.spoken),
                        ),
                    )
                )
        return done

    def due(self) -> bool:
        """Whether `tidy` has anything to do, looked at without a lock."""
        now = utc(self._clock())
        with self._store.looking() as tx:
            return bool(tx.sms_held.ended(now) or tx.sms_waits.ended(now))

    # --- inside ---

    def _relay(
        self,
        tx: Repositories,
        told: list[SmsNotice],
        relay: SmsRelay,
        account: Account,
        text: str,
        now: float,
    ) -> SmsDelivery | None:
        found = find_code(text)
        if not isinstance(found, Found):
            event = SmsEvent.AMBIGUOUS if isinstance(found, Ambiguous) else SmsEvent.NO_CODE
            record(tx, now, actor_id=None, action="sms", outcome=event, account=account.name)
            self._tell(tx, told, event, account.name, now, for_change=found.for_change)
            return None
        if found.for_change and not relay.changes:
            record(
                tx,
                now,
                actor_id=None,
                action="sms",
                outcome=SmsEvent.CHANGE_REFUSED,
                account=account.name,
            )
            self._tell(tx, told, SmsEvent.CHANGE_REFUSED, account.name, now, for_change=True)
            return None
        code = SmsCode(
            account=account_info(account),
            code=found.code,
            received_at=now,
            until=now + HOLD_FOR,
            for_change=found.for_change,
        )
        wait = tx.sms_waits.of(account.id, utc(now))
        if (
            wait is not None
            and self._may_have(tx, wait.user_id, account, now)
            and tx.sms_waits.take(wait)
        ):
            known = tx.users.get(wait.user_id)
            person = (
                Person(wait.user_id)
                if known is None
                else Person(
                    wait.user_id,
                    known.first_name,
                    known.last_name,
                    known.username,
                    known.language_code,
                )
            )
            record(
                tx,
                now,
                actor_id=None,
                action="sms",
                outcome=SmsEvent.DELIVERED,
                account=account.name,
                target_id=wait.user_id,
            )
            notice = SmsNotice(
                SmsEvent.DELIVERED,
                account.name,
                utc(now),
                person=person,
                for_change=found.for_change,
                recipients=recipients(self._access, tx, self._audit_chat_id, exclude=wait.user_id),
            )
            to = Recipient(wait.user_id, None if known is None else known.spoken)
            return SmsDelivery(to, person, code, notice)
        tx.sms_held.put(
            account,
            ticket=secrets.token_hex(8),
            code=found.code,
            for_change=found.for_change,
            at=utc(now),
            until=utc(now + HOLD_FOR),
        )
        record(tx, now, actor_id=None, action="sms", outcome=SmsEvent.HELD, account=account.name)
        self._tell(tx, told, SmsEvent.HELD, account.name, now, for_change=found.for_change)
        return None

    def _may_have(self, tx: Repositories, user_id: int, account: Account, now: float) -> bool:
        """Whether the member who waited may still have the account's code: revoked,
        locked out or past their grant since, they get nothing (it is held instead)."""
        role, member = self._access.standing(tx, user_id)
        if role is None or (role is not Role.OWNER and lock_state(tx) is not None):
            return False
        if not Visible(tx, user_id, role, at=now, member=member).may_use(account):
            return False
        return not (
            role is Role.MEMBER
            and policy_of(account).approval is Approval.ADMIN
            and standing_until(tx, user_id, account.id, now) is None
        )

    def _refused(
        self,
        tx: Repositories,
        told: list[SmsNotice],
        relay: SmsRelay,
        account: Account,
        now: float,
        why: str,
    ) -> None:
        """Audited each time; told at most once per `REFUSALS_TOLD_EVERY` per relay, so a
        stranger who found the URL cannot flood the admins."""
        use(tx, SMS_REFUSED, relay.id, now, window=POST_WINDOW)
        record(tx, now, actor_id=None, action="sms", outcome=f"denied:{why}", account=account.name)
        if (
            wait_for(tx, SMS_REFUSALS_TOLD, relay.id, now, allowed=1, window=REFUSALS_TOLD_EVERY)
            is None
        ):
            use(tx, SMS_REFUSALS_TOLD, relay.id, now, window=REFUSALS_TOLD_EVERY)
            self._tell(tx, told, SmsEvent.REFUSED, account.name, now)

    def _tell(
        self,
        tx: Repositories,
        told: list[SmsNotice],
        event: SmsEvent,
        account: str,
        now: float,
        *,
        person: Person | None = None,
        for_change: bool = False,
        reason: str | None = None,
    ) -> None:
        exclude = person.id if person is not None else 0
        to = recipients(self._access, tx, self._audit_chat_id, exclude=exclude)
        if to:
            told.append(
                SmsNotice(
                    event,
                    account,
                    utc(now),
                    person=person,
                    for_change=for_change,
                    reason=reason,
                    recipients=to,
                )
            )

    @contextmanager
    def _telling(self) -> Iterator[tuple[Repositories, list[SmsNotice]]]:
        """A transaction, and the notices it tells: published once it committed (the
        notifier writes its outbox in a transaction of its own)."""
        told: list[SmsNotice] = []
        with self._store.transaction() as tx:
            yield tx, told
        for notice in told:
            self._notifier.publish(notice)


# What the audit log calls each refusal of a post.
_REASONS = {
    Verdict.MISSING: "no_credentials",
    Verdict.WRONG: "wrong_credentials",
    Verdict.STALE: "stale_post",
}


@dataclass(frozen=True)
class _Digests:
    """What is remembered of a post, keyed with the relay's secret (see `SmsReceipt`)."""

    signature: str | None
    body: str
    content: str

    def __init__(self, secret: str, post: SmsPost, body: bytes) -> None:
        key = secret.encode("utf-8")
        replay = replay_key(post)
        object.__setattr__(self, "signature", None if replay is None else _keyed(key, replay))
        object.__setattr__(self, "body", _keyed(key, b"teamotp.sms.body\x00" + body))
        object.__setattr__(self, "content", _keyed(key, content_key(post)))


def _keyed(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def _new_credentials() -> tuple[str, str]:
    """The URL's id (96 random bits) and the secret (192): typed into the phone's app once,
    so letters and digits only, no character a keyboard or a form could change."""
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    path_id = "".join(secrets.choice(alphabet) for _ in range(20))
    secret = "".join(secrets.choice(alphabet) for _ in range(40))
    return path_id, secret


def _account(tx: Repositories, name: str) -> Account:
    if not echoable(name):
        raise InvalidInput("code.not_a_name")
    account = tx.accounts.by_key(name_key(name))
    if account is None:
        raise InvalidInput("code.unknown_account", name=name)
    return account


def _relay(tx: Repositories, name: str) -> tuple[Account, SmsRelay]:
    account = _account(tx, name)
    relay = tx.relays.of(account.id)
    if relay is None:
        raise InvalidInput("sms.no_relay", name=account.name)
    return account, relay


__all__ = [
    "HOLD_FOR",
    "WAIT_FOR",
    "Given",
    "NewRelay",
    "Receipt",
    "RelayInfo",
    "Relays",
    "SmsDelivery",
    "Status",
    "Waiting",
]
