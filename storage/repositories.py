"""Data access, one small class per table group. Repositories take plain values and build
the rows themselves; they hold no rules (who may do what is decided in `bot.rules`)."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, false, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.auditchain import CHAIN_START, GENESIS, ChainState, digest, verify
from storage.crypto import DecryptionError, SecretBox
from storage.models import (
    Account,
    ApprovedChat,
    AuditEvent,
    ChatLanguage,
    CodeRequest,
    CodeRequestMessage,
    DeferredCode,
    Grant,
    KnownUser,
    Member,
    OutboxMessage,
    PendingInput,
    PendingRotation,
    ProcessedUpdate,
    QuietChat,
    RateHit,
    ScheduledDeletion,
    SeedExposure,
    Setting,
    StandingApproval,
)
from storage.relays import SmsHeldCodes, SmsReceipts, SmsRelays, SmsWaits
from storage.sealed import (
    account_binding,
    note_binding,
    rotation_binding,
    secret_binding,
    secret_binding_v1,
)


@dataclass(frozen=True)
class Rebinding:
    """What `Accounts.rebind_v1` did: how many secrets it re-sealed, and the names of the
    accounts whose secret opened neither way (never a secret)."""

    resealed: int
    unreadable: tuple[str, ...]


@dataclass(frozen=True)
class Listing:
    """Which accounts a listing lets through: those whose `plain_add` is one of
    `plain_add` (None standing for a row that has none), and those with an id in `ids`."""

    plain_add: tuple[str | None, ...] = ()
    ids: frozenset[int] = frozenset()

    def condition(self) -> ColumnElement[bool]:
        values = [value for value in self.plain_add if value is not None]
        either = [Account.plain_add.in_(values)] if values else []
        if None in self.plain_add:
            either.append(Account.plain_add.is_(None))
        if self.ids:
            either.append(Account.id.in_(sorted(self.ids)))
        return or_(false(), *either)


class Accounts:
    def __init__(self, session: Session, box: SecretBox) -> None:
        self._session = session
        self._box = box

    def all(self) -> Sequence[Account]:
        return self._session.scalars(select(Account).order_by(Account.name_key)).all()

    def exists(self) -> bool:
        return self._session.scalar(select(Account.id).limit(1)) is not None

    def listed(
        self,
        *,
        prefix: str = "",
        start: str | None = None,
        before: bool = False,
        limit: int,
        only: Listing | None = None,
    ) -> Sequence[Account]:
        """At most `limit` accounts whose name key begins with `prefix`, in name order from
        the key `start` (itself included), or with `before` the ones just before it, nearest
        first; with `only`, just the accounts it lets through. One indexed query, whatever
        the number of accounts."""
        query = select(Account)
        if prefix:
            query = query.where(Account.name_key.startswith(prefix, autoescape=True))
        if start is not None:
            query = query.where(Account.name_key < start if before else Account.name_key >= start)
        if only is not None:
            query = query.where(only.condition())
        order = Account.name_key.desc() if before else Account.name_key
        return self._session.scalars(query.order_by(order).limit(limit)).all()

    def by_key(self, name_key: str) -> Account | None:
        return self._session.scalars(select(Account).where(Account.name_key == name_key)).first()

    def by_id(self, account_id: int) -> Account | None:
        return self._session.get(Account, account_id)

    def add(
        self,
        *,
        name: str,
        name_key: str,
        secret: str,
        issuer: str | None,
        label: str | None,
        algorithm: str,
        digits: int,
        period: int,
        created_at: datetime,
        created_by: int | None,
    ) -> Account:
        uid = secrets.token_hex(16)
        account = Account(
            uid=uid,
            name=name,
            name_key=name_key,
            issuer=issuer,
            label=label,
            algorithm=algorithm,
            digits=digits,
            period=period,
            secret_sealed=self._box.seal(
                secret.encode("ascii"), secret_binding(uid, name_key, algorithm, digits, period)
            ),
            created_at=created_at,
            created_by=created_by,
        )
        self._session.add(account)
        self._session.flush()
        return account

    def reveal(self, account: Account) -> str:
        """The plain secret, for this one computation; callers must not keep it.

        Raises `DecryptionError` when the row was changed outside the bot (its uid, its
        code settings or its sealed secret)."""
        return self._box.open(account.secret_sealed, account_binding(account)).decode("ascii")

    def opens(self, account: Account) -> bool:
        """Whether the account's secret can still be read (it is not kept or returned)."""
        try:
            self._box.open(account.secret_sealed, account_binding(account))
        except DecryptionError:
            return False
        return True

    def rebind_v1(self) -> Rebinding:
        """Re-seal every secret sealed the first version's way (bound to the uid only) so
        that it is bound to the code settings too. A row is re-sealed only when it opens
        with its own current uid; one that opens neither way is left as it is, to be
        reported by name wherever it is used. Rows already bound are left alone."""
        resealed = 0
        unreadable: list[str] = []
        for account in self.all():
            if self.opens(account):
                continue
            try:
                secret = self._box.open(account.secret_sealed, secret_binding_v1(account.uid))
            except DecryptionError:
                unreadable.append(account.name)
                continue
            account.secret_sealed = self._box.seal(secret, account_binding(account))
            resealed += 1
        self._session.flush()
        return Rebinding(resealed, tuple(unreadable))

    def rename(self, account: Account, name: str, name_key: str) -> None:
        """The secret is bound to the name: re-sealed under the new one. One that no
        longer opens stays as it is (it cannot be re-sealed, and stays reported)."""
        readable = self.opens(account)
        bound = account_binding(account)
        secret = self._box.open(account.secret_sealed, bound) if readable else None
        account.name, account.name_key = name, name_key
        if secret is not None:
            account.secret_sealed = self._box.seal(secret, account_binding(account))
        self._session.flush()

    def set_policy(
        self,
        account: Account,
        *,
        approval: str | None = None,
        delivery: str | None = None,
        plain_add: str | None = None,
    ) -> None:
        """Each value given replaces the stored one; the secret is not touched."""
        if approval is not None:
            account.approval = approval
        if delivery is not None:
            account.delivery = delivery
        if plain_add is not None:
            account.plain_add = plain_add
        self._session.flush()

    def replace_secret(
        self,
        account: Account,
        *,
        secret: str,
        algorithm: str,
        digits: int,
        period: int,
        issuer: str | None,
        label: str | None,
    ) -> None:
        """A new key for the account (its site changed authenticator): sealed anew, bound to
        the settings the new key has."""
        account.algorithm, account.digits, account.period = algorithm, digits, period
        account.issuer, account.label = issuer, label
        account.secret_sealed = self._box.seal(secret.encode("ascii"), account_binding(account))
        self._session.flush()

    def set_note(self, account: Account, note: str | None) -> None:
        """Seal the custody note (None removes it)."""
        account.note_sealed = (
            None
            if note is None
            else self._box.seal(note.encode("utf-8"), note_binding(account.uid))
        )
        self._session.flush()

    def note(self, account: Account) -> str | None:
        """The custody note, for this one reply. Raises `DecryptionError` when the row was
        changed outside the bot."""
        if account.note_sealed is None:
            return None
        opened = self._box.open(account.note_sealed, note_binding(account.uid))
        return opened.decode("utf-8")

    def remove(self, account: Account) -> None:
        self._session.execute(delete(Grant).where(Grant.account_id == account.id))
        self._session.delete(account)
        self._session.flush()


class Members:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, user_id: int) -> Member | None:
        return self._session.get(Member, user_id)

    def all(self) -> Sequence[Member]:
        return self._session.scalars(select(Member).order_by(Member.added_at)).all()

    def with_role(self, *roles: str) -> Sequence[Member]:
        return self._session.scalars(select(Member).where(Member.role.in_(roles))).all()

    def notified(self, roles: Sequence[str], user_ids: Collection[int]) -> dict[int, bool]:
        """Whether each member with one of `roles`, or with one of `user_ids`, has notices
        on: one query of two columns, for every request's notice."""
        rows = self._session.execute(
            select(Member.user_id, Member.notify).where(
                or_(Member.role.in_(roles), Member.user_id.in_(sorted(user_ids)))
            )
        )
        return {user_id: notify for user_id, notify in rows}

    def add(
        self,
        *,
        user_id: int,
        role: str,
        all_accounts: bool,
        notify: bool,
        added_by: int | None,
        added_at: datetime,
    ) -> Member:
        member = Member(
            user_id=user_id,
            role=role,
            all_accounts=all_accounts,
            notify=notify,
            added_by=added_by,
            added_at=added_at,
            grants=[],
        )
        self._session.add(member)
        self._session.flush()
        return member

    def update(
        self,
        member: Member,
        *,
        role: str | None = None,
        all_accounts: bool | None = None,
        notify: bool | None = None,
    ) -> None:
        if role is not None:
            member.role = role
        if all_accounts is not None:
            member.all_accounts = all_accounts
        if notify is not None:
            member.notify = notify
        self._session.flush()

    def remove(self, member: Member) -> None:
        self._session.delete(member)
        self._session.flush()

    def granted(self, member: Member) -> set[int]:
        return {grant.account_id for grant in member.grants}

    def set_grants(
        self,
        member: Member,
        account_ids: set[int],
        *,
        until: Mapping[int, datetime | None] | None = None,
    ) -> None:
        """Exactly these grants; a grant kept keeps its end unless `until` gives one."""
        kept = {grant.account_id: grant for grant in member.grants}
        member.grants = [
            kept.get(i) or Grant(user_id=member.user_id, account_id=i) for i in sorted(account_ids)
        ]
        for grant in member.grants:
            if until is not None and grant.account_id in until:
                grant.until = until[grant.account_id]
        self._session.flush()

    def grant_ends(self, member: Member) -> dict[int, datetime | None]:
        """Each granted account's id and when its grant ends (None: never)."""
        return {grant.account_id: grant.until for grant in member.grants}

    def set_until(self, member: Member, until: datetime | None) -> None:
        member.until = until
        self._session.flush()

    def ending(self, now: datetime, limit: int) -> Sequence[Member]:
        """Members with a grant that has ended by `now` (the all-accounts one or a named
        one), longest on the team first."""
        ended_grant = select(Grant.user_id).where(Grant.until <= now)
        return self._session.scalars(
            select(Member)
            .where(or_(Member.until <= now, Member.user_id.in_(ended_grant)))
            .order_by(Member.added_at)
            .limit(limit)
        ).all()


class Users:
    """The user directory: who the bot has seen, so admins can name people by @username."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, user_id: int) -> KnownUser | None:
        return self._session.get(KnownUser, user_id)

    def by_username(self, username: str) -> KnownUser | None:
        return self._session.scalars(
            select(KnownUser)
            .where(KnownUser.username_key == username.lower())
            .order_by(KnownUser.last_seen.desc())
        ).first()

    def many(self, user_ids: set[int]) -> dict[int, KnownUser]:
        if not user_ids:
            return {}
        rows = self._session.scalars(select(KnownUser).where(KnownUser.user_id.in_(user_ids)))
        return {row.user_id: row for row in rows}

    def upsert(
        self,
        *,
        user_id: int,
        username: str | None,
        first_name: str,
        last_name: str | None,
        language_code: str | None,
        seen_at: datetime,
    ) -> None:
        row = self._session.get(KnownUser, user_id)
        if username is not None and (row is None or row.username != username):
            # A username moves with its owner: nobody else may keep answering to it.
            for other in self._session.scalars(
                select(KnownUser).where(
                    KnownUser.username_key == username.lower(), KnownUser.user_id != user_id
                )
            ):
                other.username = other.username_key = None
        if row is None:
            row = KnownUser(user_id=user_id)
            self._session.add(row)
        row.username = username
        row.username_key = username.lower() if username else None
        row.first_name = first_name
        row.last_name = last_name
        row.language_code = language_code
        row.last_seen = seen_at
        self._session.flush()

    def set_language(self, row: KnownUser, language: str | None) -> None:
        row.language = language
        self._session.flush()


class ChatLanguages:
    """The language each group was given with /lang."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, chat_id: int) -> str | None:
        row = self._session.get(ChatLanguage, chat_id)
        return row.language if row is not None else None

    def put(self, chat_id: int, language: str | None, set_by: int, at: datetime) -> None:
        """None forgets the group's language (it is then the speaker's again)."""
        row = self._session.get(ChatLanguage, chat_id)
        if language is None:
            if row is not None:
                self._session.delete(row)
        elif row is None:
            self._session.add(
                ChatLanguage(chat_id=chat_id, language=language, set_by=set_by, set_at=at)
            )
        else:
            row.language, row.set_by, row.set_at = language, set_by, at
        self._session.flush()

    def move(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: its language goes with it."""
        row = self._session.get(ChatLanguage, old_chat_id)
        if row is None or self._session.get(ChatLanguage, new_chat_id) is not None:
            return
        self._session.add(
            ChatLanguage(
                chat_id=new_chat_id, language=row.language, set_by=row.set_by, set_at=row.set_at
            )
        )
        self._session.delete(row)
        self._session.flush()


class ApprovedChats:
    """Groups where codes may be shown."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, chat_id: int) -> ApprovedChat | None:
        return self._session.get(ApprovedChat, chat_id)

    def add(
        self,
        *,
        chat_id: int,
        title: str | None,
        approved_by: int | None,
        approved_at: datetime,
        roster: bool | None = None,
    ) -> None:
        self._session.add(
            ApprovedChat(
                chat_id=chat_id,
                title=title,
                approved_by=approved_by,
                approved_at=approved_at,
                roster=roster,
            )
        )
        self._session.flush()

    def set_roster(self, chat: ApprovedChat, on: bool) -> None:
        chat.roster = on
        self._session.flush()

    def remove(self, chat: ApprovedChat) -> None:
        self._session.delete(chat)
        self._session.flush()

    def count(self) -> int:
        return self._session.scalar(select(func.count()).select_from(ApprovedChat)) or 0


class Exposures:
    """Who has seen which account's seed, and how."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, *, user_id: int, account_id: int, how: str, at: datetime) -> None:
        self._session.add(SeedExposure(user_id=user_id, account_id=account_id, how=how, at=at))
        self._session.flush()

    def of(self, user_id: int) -> list[tuple[Account, str]]:
        """The accounts `user_id` saw the seed of, each with how, oldest first; an account
        removed since is gone from here too (its rows are deleted with it)."""
        rows = self._session.execute(
            select(Account, SeedExposure.how)
            .join(SeedExposure, SeedExposure.account_id == Account.id)
            .where(SeedExposure.user_id == user_id)
            .order_by(SeedExposure.at, SeedExposure.id)
        )
        return [(account, how) for account, how in rows]

    def origins(self, hows: Sequence[str]) -> set[int]:
        """The accounts with a row of one of these kinds (by anyone)."""
        return set(
            self._session.scalars(
                select(SeedExposure.account_id).where(SeedExposure.how.in_(hows)).distinct()
            )
        )

    def rekeyed(self, *, account_id: int, user_id: int, at: datetime) -> None:
        """The account's seed was changed by `user_id`: whoever saw the old one has seen
        nothing that still works, so only the one who set the new seed is left."""
        self._session.execute(delete(SeedExposure).where(SeedExposure.account_id == account_id))
        self.record(user_id=user_id, account_id=account_id, how="rotated", at=at)


class AuditEvents:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(
        self,
        *,
        at: datetime,
        actor_id: int | None,
        action: str,
        outcome: str,
        account: str | None,
        chat_id: int | None,
        target_id: int | None,
        params: Mapping[str, str | int],
    ) -> None:
        """Appended to the hash chain: callers run in the store's one-at-a-time
        transactions, so the head read here is still the head when this row is written."""
        event = AuditEvent(
            at=at,
            actor_id=actor_id,
            action=action,
            outcome=outcome,
            account=account,
            chat_id=chat_id,
            target_id=target_id,
            params=dict(params) or None,
        )
        self._session.add(event)
        self._session.flush()  # the id is part of what is hashed
        previous = self._session.scalars(
            select(AuditEvent.hash)
            .where(AuditEvent.id < event.id)
            .order_by(AuditEvent.id.desc())
            .limit(1)
        ).first()
        event.prev_hash = previous or GENESIS
        event.hash = digest(event.prev_hash, event)
        if previous is None and self._session.get(Setting, CHAIN_START) is None:
            self._session.add(Setting(key=CHAIN_START, value=str(event.id)))
        self._session.flush()

    def latest(
        self,
        limit: int | None,
        *,
        action_prefixes: tuple[str, ...] = (),
        outcome_prefix: str | None = None,
        involving: int | None = None,
        since: datetime | None = None,
    ) -> Sequence[AuditEvent]:
        """The newest rows first (`limit` None: all of them); each filter given narrows
        them (`involving`: as the actor or the target; `since`: written then or later)."""
        where: list[ColumnElement[bool]] = []
        if since is not None:
            where.append(AuditEvent.at >= since)
        if action_prefixes:
            where.append(or_(*(AuditEvent.action.startswith(p) for p in action_prefixes)))
        if outcome_prefix is not None:
            where.append(AuditEvent.outcome.startswith(outcome_prefix))
        if involving is not None:
            where.append(or_(AuditEvent.actor_id == involving, AuditEvent.target_id == involving))
        return self._session.scalars(
            select(AuditEvent).where(*where).order_by(AuditEvent.id.desc()).limit(limit)
        ).all()

    def since(
        self, at: datetime, *, actor_id: int | None, action: str, outcome: str
    ) -> Sequence[AuditEvent]:
        """Rows of one actor's action and outcome written at `at` or later, newest first."""
        return self._session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.at >= at,
                AuditEvent.actor_id == actor_id,
                AuditEvent.action == action,
                AuditEvent.outcome == outcome,
            )
            .order_by(AuditEvent.id.desc())
        ).all()

    def repeated(
        self, event: AuditEvent, *, count: int, account: str | None, chat_id: int | None
    ) -> None:
        """The row changed, so it and the rows after it (all from the last few minutes)
        are hashed again; rows older than it keep their hashes (see storage.auditchain)."""
        event.count, event.account, event.chat_id = count, account, chat_id
        self._session.flush()
        if event.hash is None:  # from before the chain: it stays outside it
            return
        previous = event.prev_hash or GENESIS
        for later in self._session.scalars(
            select(AuditEvent).where(AuditEvent.id >= event.id).order_by(AuditEvent.id)
        ):
            later.prev_hash = previous
            later.hash = previous = digest(previous, later)
        self._session.flush()

    def verify(self) -> ChainState:
        """The whole chain walked from the oldest row (see storage.auditchain.verify)."""
        start = self._session.get(Setting, CHAIN_START)
        return verify(
            self._session.scalars(
                select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=500)
            ),
            # A setting that is not a number was edited: every row must then be chained.
            start=None if start is None else int(start.value) if start.value.isdecimal() else 0,
        )

    def settled_head(self, before: datetime) -> AuditEvent | None:
        """The newest chained row written before `before`."""
        return self._session.scalars(
            select(AuditEvent)
            .where(AuditEvent.at < before, AuditEvent.hash.is_not(None))
            .order_by(AuditEvent.id.desc())
            .limit(1)
        ).first()

    def count(self) -> int:
        return self._session.scalar(select(func.count()).select_from(AuditEvent)) or 0


class StoreSettings:
    """Small key/value facts about the store itself (the key check value, ...)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, key: str) -> str | None:
        row = self._session.get(Setting, key)
        return None if row is None else row.value

    def put(self, key: str, value: str) -> None:
        self._session.merge(Setting(key=key, value=value))
        self._session.flush()

    def remove(self, key: str) -> None:
        self._session.execute(delete(Setting).where(Setting.key == key))


class Deletions:
    """Bot messages to delete later (codes past their window)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def schedule(self, chat_id: int, message_id: int, delete_at: datetime) -> None:
        self._session.add(
            ScheduledDeletion(chat_id=chat_id, message_id=message_id, delete_at=delete_at)
        )
        self._session.flush()

    def claim(self, now: datetime, until: datetime, limit: int = 50) -> Sequence[ScheduledDeletion]:
        """The due ones no live replica holds, held from now to `until` by the caller."""
        rows = self._session.scalars(
            select(ScheduledDeletion)
            .where(
                ScheduledDeletion.delete_at <= now,
                or_(
                    ScheduledDeletion.claimed_until.is_(None),
                    ScheduledDeletion.claimed_until <= now,
                ),
            )
            .order_by(ScheduledDeletion.delete_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.claimed_until = until
        self._session.flush()
        return rows

    def release(self, deletion_ids: list[int]) -> None:
        """Not done after all (Telegram failed): any replica may take them again."""
        self._session.execute(
            update(ScheduledDeletion)
            .where(ScheduledDeletion.id.in_(deletion_ids))
            .values(claimed_until=None)
        )

    def done(self, deletion_ids: list[int]) -> None:
        self._session.execute(
            delete(ScheduledDeletion).where(ScheduledDeletion.id.in_(deletion_ids))
        )


class ProcessedUpdates:
    """The ids of the updates already taken, for a day."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def take(self, update_id: int, now: datetime) -> bool:
        """Record `update_id`; False if it was recorded before. One statement, and the
        primary key decides: of two replicas taking the same update at the same moment
        exactly one inserts it, with no lock to wait for (see `Store.racing`)."""
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        taken = self._session.execute(
            insert(ProcessedUpdate)
            .values(update_id=update_id, at=now)
            .on_conflict_do_nothing(index_elements=[ProcessedUpdate.update_id])
            .returning(ProcessedUpdate.update_id)
        )
        return taken.first() is not None

    def forget_before(self, moment: datetime) -> None:
        self._session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.at < moment))


class Outbox:
    """Notices on their way, each held by the process sending it until `claimed_until`."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, chat_id: int, body: str, now: datetime, holder: str, until: datetime) -> int:
        row = OutboxMessage(
            chat_id=chat_id, body=body, created_at=now, holder=holder, claimed_until=until
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def claim(
        self, now: datetime, holder: str, until: datetime, limit: int = 50
    ) -> Sequence[OutboxMessage]:
        """The ones nobody holds any more, oldest first, held by `holder` now. What
        `holder` holds already is being sent: never taken twice by the same process."""
        rows = self._session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.claimed_until <= now,
                or_(OutboxMessage.holder.is_(None), OutboxMessage.holder != holder),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.holder, row.claimed_until = holder, until
        self._session.flush()
        return rows

    def release(self, message_ids: list[int], until: datetime) -> None:
        """Let go: anyone may take them once `until` has passed."""
        self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids))
            .values(holder=None, claimed_until=until)
        )

    def done(self, message_ids: list[int]) -> None:
        self._session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(message_ids)))

    def count(self) -> int:
        return self._session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


class PendingInputs:
    """What the bot waits for from each person in private: one row per person."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, user_id: int) -> PendingInput | None:
        return self._session.get(PendingInput, user_id)

    def put(self, *, user_id: int, awaiting: str, subject: str, deadline: datetime) -> None:
        """Ask anew: whatever was awaited from this person before is replaced."""
        self._session.merge(
            PendingInput(user_id=user_id, awaiting=awaiting, subject=subject, deadline=deadline)
        )
        self._session.flush()

    def remove(self, row: PendingInput) -> None:
        self._session.delete(row)
        self._session.flush()

    def remove_expired(self, now: datetime) -> None:
        self._session.execute(delete(PendingInput).where(PendingInput.deadline <= now))

    def user_ids(self) -> Sequence[int]:
        return self._session.scalars(select(PendingInput.user_id)).all()


class Rotations:
    """New secrets waiting for an admin to confirm that the site took them: one per account."""

    def __init__(self, session: Session, box: SecretBox) -> None:
        self._session = session
        self._box = box

    def get(self, account_id: int) -> PendingRotation | None:
        return self._session.get(PendingRotation, account_id)

    def put(
        self,
        account: Account,
        *,
        ticket: int,
        secret: str,
        algorithm: str,
        digits: int,
        period: int,
        issuer: str | None,
        label: str | None,
        started_by: int,
        started_at: datetime,
        deadline: datetime,
    ) -> PendingRotation:
        """Keep the new secret sealed; whatever waited for this account before is replaced."""
        sealed = self._box.seal(
            secret.encode("ascii"),
            rotation_binding(account.uid, algorithm, digits, period),
        )
        row = self._session.merge(
            PendingRotation(
                account_id=account.id,
                ticket=ticket,
                secret_sealed=sealed,
                algorithm=algorithm,
                digits=digits,
                period=period,
                issuer=issuer,
                label=label,
                started_by=started_by,
                started_at=started_at,
                deadline=deadline,
            )
        )
        self._session.flush()
        return row

    def reveal(self, rotation: PendingRotation, account: Account) -> str:
        """The new plain secret, for this one computation; callers must not keep it.
        Raises `DecryptionError` when the row was changed outside the bot."""
        bound = rotation_binding(account.uid, rotation.algorithm, rotation.digits, rotation.period)
        return self._box.open(rotation.secret_sealed, bound).decode("ascii")

    def remove(self, rotation: PendingRotation) -> None:
        self._session.delete(rotation)
        self._session.flush()

    def due(self, now: datetime) -> Sequence[PendingRotation]:
        """Those whose deadline has passed, oldest first."""
        return self._session.scalars(
            select(PendingRotation)
            .where(PendingRotation.deadline <= now)
            .order_by(PendingRotation.deadline)
        ).all()

    def started_by(self, user_id: int) -> Sequence[PendingRotation]:
        return self._session.scalars(
            select(PendingRotation).where(PendingRotation.started_by == user_id)
        ).all()

    def waiting(self, now: datetime) -> set[int]:
        """The ids of the accounts whose new key still waits at `now`."""
        return set(
            self._session.scalars(
                select(PendingRotation.account_id).where(PendingRotation.deadline > now)
            )
        )


class RateHits:
    """Uses of limited things, per bucket (what is limited) and subject (whose use)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def after(self, bucket: str, subject: int, at: datetime) -> list[datetime]:
        """When `subject` used `bucket` after `at`, oldest first."""
        return list(
            self._session.scalars(
                select(RateHit.at)
                .where(RateHit.bucket == bucket, RateHit.subject == subject, RateHit.at > at)
                .order_by(RateHit.at)
            )
        )

    def add(self, bucket: str, subject: int, at: datetime) -> None:
        self._session.add(RateHit(bucket=bucket, subject=subject, at=at))
        self._session.flush()

    def forget_before(self, bucket: str, at: datetime) -> None:
        """Everyone's uses of `bucket` older than `at`."""
        self._session.execute(delete(RateHit).where(RateHit.bucket == bucket, RateHit.at < at))


class QuietChats:
    """Unapproved groups that were told so once."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def told(self, chat_id: int) -> bool:
        return self._session.get(QuietChat, chat_id) is not None

    def mark(self, chat_id: int, at: datetime) -> None:
        self._session.merge(QuietChat(chat_id=chat_id, told_at=at))
        self._session.flush()

    def clear(self, chat_id: int) -> None:
        self._session.execute(delete(QuietChat).where(QuietChat.chat_id == chat_id))


class DeferredCodes:
    """Codes waiting for their person to open a private chat: one per person and account."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, token: str) -> DeferredCode | None:
        return self._session.get(DeferredCode, token)

    def put(
        self,
        *,
        token: str,
        user_id: int,
        account_id: int,
        chat_id: int,
        chat_title: str | None,
        created_at: datetime,
        expires_at: datetime,
    ) -> None:
        """Defer anew: this person's earlier deferred code of the account is replaced."""
        self._session.execute(
            delete(DeferredCode).where(
                DeferredCode.user_id == user_id, DeferredCode.account_id == account_id
            )
        )
        self._session.add(
            DeferredCode(
                token=token,
                user_id=user_id,
                account_id=account_id,
                chat_id=chat_id,
                chat_title=chat_title,
                created_at=created_at,
                expires_at=expires_at,
            )
        )
        self._session.flush()

    def remove(self, row: DeferredCode) -> None:
        self._session.delete(row)
        self._session.flush()

    def remove_expired(self, now: datetime) -> None:
        self._session.execute(delete(DeferredCode).where(DeferredCode.expires_at <= now))

    def count(self) -> int:
        return self._session.scalar(select(func.count()).select_from(DeferredCode)) or 0


PENDING = "pending"  # the one status a code request is ever changed from
EXPIRED = "expired"


class CodeRequests:
    """Code requests waiting for an admin (and decided ones), and the messages that asked
    the admins to decide them."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        *,
        account_id: int,
        requester_id: int,
        requester_name: str,
        requester_username: str | None,
        requester_language: str | None,
        chat_id: int,
        chat_title: str | None,
        private: bool,
        thread_id: int | None,
        reply_to: int | None,
        reason: str,
        created_at: datetime,
        expires_at: datetime,
    ) -> CodeRequest:
        row = CodeRequest(
            account_id=account_id,
            requester_id=requester_id,
            requester_name=requester_name,
            requester_username=requester_username,
            requester_language=requester_language,
            chat_id=chat_id,
            chat_title=chat_title,
            private=private,
            thread_id=thread_id,
            reply_to=reply_to,
            reason=reason,
            created_at=created_at,
            expires_at=expires_at,
            status=PENDING,
        )
        self._session.add(row)
        self._session.flush()
        return row

    def get(self, request_id: int) -> CodeRequest | None:
        """As the database has it now, also after a conditional update in this session."""
        return self._session.get(CodeRequest, request_id, populate_existing=True)

    def decide(
        self,
        request_id: int,
        *,
        status: str,
        now: datetime,
        by: int | None,
        by_name: str | None,
        approved_for_seconds: int | None = None,
    ) -> bool:
        """Change a request that is still pending and, unless it is expired now, not past
        its deadline: one `UPDATE ... WHERE status = 'pending'`, so of two decisions exactly
        one changes the row, also when two processes share the database. True for that one."""
        # An expiry needs the deadline passed; a decision needs it still ahead.
        in_time = (
            CodeRequest.expires_at <= now if status == EXPIRED else CodeRequest.expires_at > now
        )
        result = self._session.execute(
            update(CodeRequest)
            .where(CodeRequest.id == request_id, CodeRequest.status == PENDING, in_time)
            .values(
                status=status,
                decided_by=by,
                decided_by_name=by_name,
                decided_at=now,
                approved_for_seconds=approved_for_seconds,
            )
            .execution_options(synchronize_session=False)
        )
        return cast(CursorResult[Any], result).rowcount == 1

    def waiting(self, requester_id: int, account_id: int, now: datetime) -> CodeRequest | None:
        """This person's request for this account that still waits for a decision, if any."""
        return self._session.scalars(
            select(CodeRequest)
            .where(
                CodeRequest.requester_id == requester_id,
                CodeRequest.account_id == account_id,
                CodeRequest.status == PENDING,
                CodeRequest.expires_at > now,
            )
            .limit(1)
        ).first()

    def due(self, now: datetime, limit: int = 50) -> Sequence[CodeRequest]:
        """Pending requests past their deadline, oldest first."""
        return self._session.scalars(
            select(CodeRequest)
            .where(CodeRequest.status == PENDING, CodeRequest.expires_at <= now)
            .order_by(CodeRequest.expires_at)
            .limit(limit)
        ).all()

    def add_messages(
        self, request_id: int, messages: Sequence[tuple[int, int, str | None]]
    ) -> None:
        """(chat id, message id, language code) of each admin asked."""
        for chat_id, message_id, language_code in messages:
            self._session.add(
                CodeRequestMessage(
                    request_id=request_id,
                    chat_id=chat_id,
                    message_id=message_id,
                    language_code=language_code,
                )
            )
        self._session.flush()

    def messages(self, request_id: int) -> Sequence[CodeRequestMessage]:
        return self._session.scalars(
            select(CodeRequestMessage)
            .where(CodeRequestMessage.request_id == request_id)
            .order_by(CodeRequestMessage.id)
        ).all()


class StandingApprovals:
    """ "Approve for 1 h": one row per person and account, until a time."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def until(self, user_id: int, account_id: int) -> datetime | None:
        row = self._session.get(StandingApproval, (user_id, account_id))
        return None if row is None else row.until

    def put(self, *, user_id: int, account_id: int, until: datetime, approved_by: int) -> None:
        """A later approval replaces an earlier one of the same person and account."""
        self._session.merge(
            StandingApproval(
                user_id=user_id, account_id=account_id, until=until, approved_by=approved_by
            )
        )
        self._session.flush()

    def forget_before(self, at: datetime) -> None:
        self._session.execute(delete(StandingApproval).where(StandingApproval.until < at))


class Repositories:
    """The repositories of one transaction."""

    def __init__(self, session: Session, box: SecretBox) -> None:
        self.accounts = Accounts(session, box)
        self.members = Members(session)
        self.users = Users(session)
        self.chats = ApprovedChats(session)
        self.chat_languages = ChatLanguages(session)
        self.audit = AuditEvents(session)
        self.settings = StoreSettings(session)
        self.deletions = Deletions(session)
        self.updates = ProcessedUpdates(session)
        self.outbox = Outbox(session)
        self.pending = PendingInputs(session)
        self.rate_hits = RateHits(session)
        self.quiet_chats = QuietChats(session)
        self.exposures = Exposures(session)
        self.rotations = Rotations(session, box)
        self.deferred = DeferredCodes(session)
        self.code_requests = CodeRequests(session)
        self.standing = StandingApprovals(session)
        self.relays = SmsRelays(session, box)
        self.sms_receipts = SmsReceipts(session)
        self.sms_waits = SmsWaits(session)
        self.sms_held = SmsHeldCodes(session, box)
