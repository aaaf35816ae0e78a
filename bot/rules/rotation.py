"""Re-keying an account: its site changes authenticator, and the bot follows.

The change happens at the site first and in the bot second, and the bot never gives up
the old key before an admin says the site took the new one: the new key waits, sealed,
beside the account (`pending_rotations`) while `/code` goes on giving the old key's codes.
Confirming replaces the key in one transaction; cancelling, or nobody confirming within
`LIFETIME`, leaves the old key in place. So a change that fails halfway at the site (a
code typed too late, a closed tab) never locks the team out.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.rules.access import Access
from bot.rules.accounts import account_info, existing, holder_of, named, spec_of
from bot.rules.auditlog import record
from bot.rules.clock import Clock, utc
from bot.rules.errors import InvalidInput, UnreadableSecret
from bot.rules.migration import is_migration_uri, parse_migration
from bot.rules.model import (
    AccountInfo,
    IssuedCode,
    Person,
    Recipient,
    Role,
    RotationExpiredNotice,
    RotationNotice,
)
from bot.rules.notices import Notifier
from bot.rules.otp import Algorithm, TotpSpec, code_at, parse_secret
from storage.crypto import DecryptionError
from storage.models import Account, PendingRotation
from storage.repositories import Repositories
from storage.store import Store

# Long enough for a slow site and a second try at its check; short enough that a new key
# nobody confirmed does not linger.
LIFETIME = 3600.0
# What every button of one change carries, so that a button of an earlier change of the
# same account never confirms this one (it fits a callback's 64 bytes with room to spare).
_TICKETS = 10**15


@dataclass(frozen=True)
class Rekeying:
    """A new key waiting for an admin to confirm that the site took it, as the chat shows
    it: the new key's current code, never the key."""

    account: AccountInfo  # as it is now, with the old key
    ticket: int
    issued: IssuedCode  # the new key's code now; its digits and period may differ
    until: float
    secret_bits: int = 0
    short_secret: bool = False


class Rotations:
    def __init__(self, store: Store, access: Access, clock: Clock, notifier: Notifier) -> None:
        self._store = store
        self._access = access
        self._clock = clock
        self._notifier = notifier

    def begin(self, actor: Person, name: str) -> AccountInfo | Rekeying:
        """`/secret rotate NAME`: the account whose new key to ask for, or the change of it
        already waiting (asked for again, it is shown again: the site's check may take
        longer than one code)."""
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            account = named(tx, name)
            waiting = self._live(tx, account.id)
            if waiting is not None:
                try:
                    return self._shown(tx, account, waiting)
                except InvalidInput:
                    # A new key that no longer opens is no change to wait for: start anew.
                    self._drop(tx, actor.id, account, waiting)
            return account_info(account)

    def take(
        self, actor: Person, account_id: int, texts: Sequence[str], *, from_image: bool = False
    ) -> Rekeying:
        """The new key, typed or read from QR codes, for the account asked about."""
        spec = new_key(texts, from_image=from_image)
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            return self._take(tx, actor, existing(tx, account_id), spec)

    def take_named(self, actor: Person, name: str, secret_text: str) -> Rekeying:
        """`/secret rotate NAME SECRET`: the question and its answer in one message."""
        spec = new_key([secret_text])
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            return self._take(tx, actor, named(tx, name), spec)

    def code(self, actor: Person, account_id: int, ticket: int) -> Rekeying:
        """The new key's code once more, for a site whose check took longer than a code."""
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            account = existing(tx, account_id)
            return self._shown(tx, account, self._pressed(tx, account_id, ticket))

    def confirm(self, actor: Person, account_id: int, ticket: int) -> AccountInfo:
        """The site took the new key: it replaces the old one, now, for everyone. Any admin
        may confirm (the one who started may have handed over); every other admin is told."""
        now = self._clock()
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            account = existing(tx, account_id)
            waiting = self._pressed(tx, account_id, ticket)
            secret = self._new_secret(tx, waiting, account)
            holder = holder_of(tx, secret)
            if holder is not None:  # added to another account since: never two holders
                raise InvalidInput("rotate.held_by", name=holder)
            tx.accounts.replace_secret(
                account,
                secret=secret,
                algorithm=waiting.algorithm,
                digits=waiting.digits,
                period=waiting.period,
                issuer=waiting.issuer if waiting.issuer is not None else account.issuer,
                label=waiting.label if waiting.label is not None else account.label,
            )
            tx.rotations.remove(waiting)
            # Whoever saw the old seed has seen nothing that still works; whoever sent the
            # new one has seen it.
            tx.exposures.rekeyed(account_id=account.id, user_id=waiting.started_by, at=utc(now))
            record(tx, now, actor_id=actor.id, action="account.rotate", account=account.name)
            notice = RotationNotice(
                admin=actor,
                account=account.name,
                at=utc(now),
                recipients=self._access.admins(tx, exclude=actor.id),
            )
            done = account_info(account)
        if notice.recipients:
            self._notifier.publish(notice)
        return done

    def cancel(self, actor: Person, account_id: int, ticket: int) -> AccountInfo:
        """The "keep the old key" button: the new key is forgotten, the old one stays."""
        with self._store.transaction() as tx:
            self._access.require(tx, actor.id, Role.ADMIN)
            account = existing(tx, account_id)
            self._drop(tx, actor.id, account, self._pressed(tx, account_id, ticket))
            return account_info(account)

    def cancel_mine(self, actor: Person) -> list[str]:
        """`/cancel`: the changes this admin started that still wait are dropped (the old
        keys stay); the names of their accounts. Nothing for anyone not an admin now."""
        with self._store.transaction() as tx:
            role = self._access.role(tx, actor.id)
            if role is None or not role.at_least(Role.ADMIN):
                return []
            now = utc(self._clock())
            dropped: list[str] = []
            for waiting in tx.rotations.started_by(actor.id):
                if waiting.deadline <= now:
                    continue  # told and audited by `expire`
                account = existing(tx, waiting.account_id)
                self._drop(tx, actor.id, account, waiting)
                dropped.append(account.name)
            return sorted(dropped)

    def expire(self) -> int:
        """Changes nobody confirmed in time are dropped: the old keys stay. Each is audited,
        and the admin who started it is told (the site may have the new key already: its
        new authenticator is then to be removed there, or the change started again)."""
        now = self._clock()
        notices: list[RotationExpiredNotice] = []
        with self._store.looking() as tx:
            if not tx.rotations.due(utc(now)):
                return 0
        with self._store.transaction() as tx:
            due = tx.rotations.due(utc(now))
            for waiting in due:
                account = existing(tx, waiting.account_id)
                tx.rotations.remove(waiting)
                record(
                    tx,
                    now,
                    actor_id=None,
                    action="account.rotate_cancel",
                    outcome="expired",
                    account=account.name,
                    target_id=waiting.started_by,
                )
                starter = _recipient(self._access.admins(tx, exclude=0), waiting.started_by)
                if starter is not None:
                    notices.append(
                        RotationExpiredNotice(account.name, utc(now), recipients=(starter,))
                    )
        for notice in notices:
            self._notifier.publish(notice)
        return len(due)

    def _take(self, tx: Repositories, actor: Person, account: Account, spec: TotpSpec) -> Rekeying:
        if self._live(tx, account.id) is not None:
            # Another admin's change is under way at the site: never swap its key.
            raise InvalidInput("rotate.already_pending", name=account.name)
        if spec.secret == _current_secret(tx, account):
            raise InvalidInput("rotate.same_key", name=account.name)
        holder = holder_of(tx, spec.secret)
        if holder is not None:
            raise InvalidInput("rotate.held_by", name=holder)
        now = self._clock()
        waiting = tx.rotations.put(
            account,
            ticket=secrets.randbelow(_TICKETS - 1) + 1,
            secret=spec.secret,
            algorithm=spec.algorithm.value,
            digits=spec.digits,
            period=spec.period,
            issuer=spec.issuer,
            label=spec.label,
            started_by=actor.id,
            started_at=utc(now),
            deadline=utc(now + LIFETIME),
        )
        record(tx, now, actor_id=actor.id, action="account.rotate_start", account=account.name)
        shown = _issued(account, waiting, spec, now)
        return Rekeying(
            account=account_info(account),
            ticket=waiting.ticket,
            issued=shown,
            until=now + LIFETIME,
            secret_bits=spec.secret_bits,
            short_secret=spec.is_short,
        )

    def _shown(self, tx: Repositories, account: Account, waiting: PendingRotation) -> Rekeying:
        spec = TotpSpec(
            secret=self._new_secret(tx, waiting, account),
            algorithm=Algorithm(waiting.algorithm),
            digits=waiting.digits,
            period=waiting.period,
        )
        return Rekeying(
            account=account_info(account),
            ticket=waiting.ticket,
            issued=_issued(account, waiting, spec, self._clock()),
            until=waiting.deadline.timestamp(),
        )

    def _drop(
        self, tx: Repositories, actor_id: int, account: Account, waiting: PendingRotation
    ) -> None:
        tx.rotations.remove(waiting)
        record(
            tx,
            self._clock(),
            actor_id=actor_id,
            action="account.rotate_cancel",
            account=account.name,
            target_id=waiting.started_by if waiting.started_by != actor_id else None,
        )

    def _live(self, tx: Repositories, account_id: int) -> PendingRotation | None:
        """The change waiting for this account; one past its deadline waits no longer (it
        is dropped, audited and told by `expire`)."""
        waiting = tx.rotations.get(account_id)
        if waiting is None or waiting.deadline <= utc(self._clock()):
            return None
        return waiting

    def _pressed(self, tx: Repositories, account_id: int, ticket: int) -> PendingRotation:
        """The change a button was made for, if it still waits."""
        waiting = self._live(tx, account_id)
        if waiting is None or waiting.ticket != ticket:
            raise InvalidInput("rotate.gone")
        return waiting

    @staticmethod
    def _new_secret(tx: Repositories, waiting: PendingRotation, account: Account) -> str:
        try:
            return tx.rotations.reveal(waiting, account)
        except DecryptionError:
            raise InvalidInput("rotate.unreadable", name=account.name) from None


def new_key(texts: Sequence[str], *, from_image: bool = False) -> TotpSpec:
    """The one time-based key in what was sent: a key as the site shows it, an otpauth://
    link, or what QR codes hold (a Google Authenticator export of exactly one account too).
    Several keys are refused: which one the site now uses cannot be guessed. A QR code that
    holds no authenticator link (a shop's web address) is no key."""
    found: dict[str, TotpSpec] = {}
    links = 0
    for raw in texts:
        text = raw.strip()
        if from_image and not text.lower().startswith("otpauth"):
            continue
        links += 1
        if is_migration_uri(text):
            export = parse_migration(text)
            for entry in export.entries:
                if entry.spec is not None:
                    found.setdefault(entry.spec.secret, entry.spec)
            continue
        spec = parse_secret(text)
        found.setdefault(spec.secret, spec)
    if not found:
        raise InvalidInput("import.not_otp" if from_image and not links else "rotate.not_totp")
    if len(found) > 1:
        raise InvalidInput("rotate.one_key", count=len(found))
    return next(iter(found.values()))


def _current_secret(tx: Repositories, account: Account) -> str | None:
    """The account's key now; one that no longer opens is no key (re-keying is a way out)."""
    try:
        return spec_of(tx, account).secret
    except UnreadableSecret:
        return None


def _issued(account: Account, waiting: PendingRotation, spec: TotpSpec, at: float) -> IssuedCode:
    """The new key's code, under the settings it will have: its window is the new one."""
    info = replace(
        account_info(account),
        algorithm=waiting.algorithm,
        digits=waiting.digits,
        period=waiting.period,
    )
    return IssuedCode(account=info, code=code_at(spec, at), at=at)


def _recipient(admins: tuple[Recipient, ...], user_id: int) -> Recipient | None:
    return next((r for r in admins if r.chat_id == user_id), None)
