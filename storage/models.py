"""The database schema, as typed SQLAlchemy 2 models.

The naming convention gives every constraint a stable name, so a migration
tool can take the schema over later without guessing what SQLite called things.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, also on SQLite, which forgets the zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ShownText(TypeDecorator[str]):
    """Text Telegram gave that the bot keeps only to show again (people's names, group
    titles, language tags): cut to the column's length. Telegram's own limits are well
    within these columns; should a longer one come, a name shown a little shorter beats
    an update PostgreSQL refuses, for a person who could then never be answered."""

    impl = String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else value[: self.length]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Account(Base):
    """One shared login and its authenticator secret (sealed)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Random and never reused. The sealed secret is bound to it and to the algorithm,
    # digits and period (storage.repositories): a ciphertext copied to another row, or a
    # setting edited behind the bot's back, no longer opens instead of giving wrong codes.
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    # Case folding may make a name three times longer than typed (`ΐ` folds to three).
    name_key: Mapped[str] = mapped_column(String(128), unique=True)
    issuer: Mapped[str | None] = mapped_column(String(128))
    label: Mapped[str | None] = mapped_column(String(128))
    algorithm: Mapped[str] = mapped_column(String(8))
    digits: Mapped[int] = mapped_column(Integer)
    period: Mapped[int] = mapped_column(Integer)
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    # The account's policy (bot.rules.policies); None is the default of each. Not bound to
    # the sealed secret: whoever can edit these rows can read the store anyway.
    approval: Mapped[str | None] = mapped_column(String(16))
    delivery: Mapped[str | None] = mapped_column(String(16))
    plain_add: Mapped[str | None] = mapped_column(String(16))
    # Who holds the backup phone, which number, where the recovery steps are: sealed and
    # bound to the uid (storage.repositories), shown to admins only. None: no note.
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The phone that forwards the account's SMS codes, if any: loaded with the account (a
    # join, no query of its own), since a code's reply offers to wait for one.
    sms_relay: Mapped[SmsRelay | None] = relationship(lazy="joined", viewonly=True)


class Member(Base):
    """Someone an admin whitelisted (or an owner who claimed the bot)."""

    __tablename__ = "members"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Indexed: every code request looks up the admins to tell, among all the members.
    role: Mapped[str] = mapped_column(String(16), index=True)
    all_accounts: Mapped[bool] = mapped_column(Boolean, default=True)
    notify: Mapped[bool] = mapped_column(Boolean, default=True)
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # When the all-accounts grant ends by itself (None: it does not); only while
    # `all_accounts` holds. Named grants carry their own end.
    until: Mapped[datetime | None] = mapped_column(UtcDateTime)

    grants: Mapped[list[Grant]] = relationship(
        back_populates="member", cascade="all, delete-orphan", lazy="selectin"
    )


class Grant(Base):
    """A member's access to one account, when not granted all of them."""

    __tablename__ = "grants"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("members.user_id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    # When this grant ends by itself (None: it does not).
    until: Mapped[datetime | None] = mapped_column(UtcDateTime)

    member: Mapped[Member] = relationship(back_populates="grants")


class KnownUser(Base):
    """The user directory: who the bot has seen, so `/add @username` can find them."""

    __tablename__ = "users"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    username: Mapped[str | None] = mapped_column(String(64))
    username_key: Mapped[str | None] = mapped_column(String(64), index=True)
    first_name: Mapped[str] = mapped_column(ShownText(128), default="")
    last_name: Mapped[str | None] = mapped_column(ShownText(128))
    language_code: Mapped[str | None] = mapped_column(ShownText(16))
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    # The language they chose with /lang ("zh", "en"); None: Telegram's `language_code`.
    language: Mapped[str | None] = mapped_column(String(8))

    @property
    def spoken(self) -> str | None:
        """The language to tell them things in: their choice, else Telegram's."""
        return self.language or self.language_code


class ApprovedChat(Base):
    """A group where codes may be shown."""

    __tablename__ = "approved_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    title: Mapped[str | None] = mapped_column(ShownText(256))
    approved_by: Mapped[int | None] = mapped_column(BigInteger)
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The team roster (`/roster on`): leaving this group ends a person's access. None on
    # rows from before it existed, which are not rosters.
    roster: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class SeedExposure(Base):
    """Someone saw an account's seed (pasted it, received an export, set a new one): when
    they lose access, the admins are told which accounts to re-key at the site."""

    __tablename__ = "seed_exposures"
    __table_args__ = (Index("ix_seed_exposures_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    how: Mapped[str] = mapped_column(String(16))  # added | imported | exported | rotated
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditEvent(Base):
    """One request or admin action, as an event code and its parameters (rendered in the
    reader's language when read); never holds a secret or a code."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(32))
    account: Mapped[str | None] = mapped_column(String(64))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    target_id: Mapped[int | None] = mapped_column(BigInteger)
    params: Mapped[dict[str, str | int] | None] = mapped_column(JSON)
    # The same refusal repeated by the same person shortly after: one row, counted here
    # (None: it happened once), so a flood cannot push admin actions out of `/audit`.
    count: Mapped[int | None] = mapped_column(Integer)
    # Free English text written by the first version; shown as it is, never written now.
    detail: Mapped[str | None] = mapped_column(String(256))
    # The hash chain (storage.auditchain): the previous row's hash, and this row's hash over
    # that and its content. None on rows written before the chain existed.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class Setting(Base):
    """Small key/value facts about the store itself (the key check value, ...)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ScheduledDeletion(Base):
    """A bot message to delete later (an expired code); kept here so a restart still deletes it."""

    __tablename__ = "scheduled_deletions"
    __table_args__ = (Index("ix_scheduled_deletions_delete_at", "delete_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    delete_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Until when one replica holds it (it is deleting the message); a replica that dies
    # lets go when this passes, and another deletes the message.
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ProcessedUpdate(Base):
    """An update some replica has taken: Telegram delivers an update again when the answer
    to its webhook call was slow, and several replicas may each get it; only the first to
    record it here handles it. Kept for a day, the longest Telegram keeps an update."""

    __tablename__ = "processed_updates"
    __table_args__ = (Index("ix_processed_updates_at", "at"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class OutboxMessage(Base):
    """A notice on its way to one person, rendered in their language: stored before it is
    sent, so a replica that dies before sending it leaves it to another, and deleted once
    sent (or refused for good)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_claimed_until", "claimed_until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Which process is sending it (None: nobody, it waits for a retry), and until when.
    holder: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_until: Mapped[datetime] = mapped_column(UtcDateTime)


class PendingInput(Base):
    """What the bot waits for from one person in private (one question at a time): kept
    here so a restart neither forgets a question nor keeps one past its deadline."""

    __tablename__ = "pending_inputs"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    awaiting: Mapped[str] = mapped_column(String(16))
    # The account name to add, or the id of the account to rename, as text.
    subject: Mapped[str] = mapped_column(String(64))
    deadline: Mapped[datetime] = mapped_column(UtcDateTime)


class RateHit(Base):
    """One use of something limited (a reply to a stranger, a member's code), kept in the
    store so the limits hold across a restart. Hits older than their window are deleted."""

    __tablename__ = "rate_hits"
    __table_args__ = (Index("ix_rate_hits_bucket_subject_at", "bucket", "subject", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(32))
    subject: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class ChatLanguage(Base):
    """The language an admin set for a group with /lang: what the bot says to the whole
    group is said in it. Kept apart from approval, since the bot speaks to groups it has
    not been approved in too (telling them so)."""

    __tablename__ = "chat_languages"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str] = mapped_column(String(8))
    set_by: Mapped[int | None] = mapped_column(BigInteger)
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)


class QuietChat(Base):
    """A group that is not approved and was told so once: the bot stays quiet there until
    an admin approves it."""

    __tablename__ = "quiet_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    told_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PendingRotation(Base):
    """A new authenticator secret for an account, taken but not yet confirmed at the site.
    The account keeps its old secret until an admin confirms, so a change that fails at the
    site never locks the team out; the row is gone once confirmed, cancelled or past its
    deadline."""

    __tablename__ = "pending_rotations"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # Random, in the buttons of this change only: a button of a change cancelled earlier
    # never confirms a later one of the same account.
    ticket: Mapped[int] = mapped_column(BigInteger)
    # Sealed bound to the account's uid and to these settings, as the account's own.
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    algorithm: Mapped[str] = mapped_column(String(8))
    digits: Mapped[int] = mapped_column(Integer)
    period: Mapped[int] = mapped_column(Integer)
    issuer: Mapped[str | None] = mapped_column(String(128))
    label: Mapped[str | None] = mapped_column(String(128))
    started_by: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deadline: Mapped[datetime] = mapped_column(UtcDateTime)


class DeferredCode(Base):
    """A code asked for in a group for an account delivered privately, to a person the bot
    cannot message yet (they never pressed Start, or blocked it): handed out when they
    open the private chat with the link's token, within its deadline."""

    __tablename__ = "deferred_codes"
    __table_args__ = (
        UniqueConstraint("user_id", "account_id", name="uq_deferred_codes_user_account"),
        Index("ix_deferred_codes_expires_at", "expires_at"),
    )

    # The deep link's payload (`t.me/<bot>?start=<token>`): random, used once.
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # The group it was asked in, for the notice that follows the code.
    chat_id: Mapped[int] = mapped_column(BigInteger)
    chat_title: Mapped[str | None] = mapped_column(ShownText(256))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CodeRequest(Base):
    """A member's request for the code of an account that needs an admin's approval: who,
    why, and where the code goes once an admin approves (plain numbers, so an approval
    after a restart still finds the chat, its topic and the message it answers)."""

    __tablename__ = "code_requests"
    __table_args__ = (Index("ix_code_requests_status_expires_at", "status", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    requester_id: Mapped[int] = mapped_column(BigInteger)
    requester_name: Mapped[str] = mapped_column(ShownText(256))
    requester_username: Mapped[str | None] = mapped_column(String(64))
    requester_language: Mapped[str | None] = mapped_column(ShownText(16))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    chat_title: Mapped[str | None] = mapped_column(ShownText(256))
    private: Mapped[bool] = mapped_column(Boolean)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    reply_to: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # pending, approved, denied or expired; changed only from pending, by a conditional
    # update, so that of two decisions (even of two processes) exactly one takes effect.
    status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_by_name: Mapped[str | None] = mapped_column(ShownText(256))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    approved_for_seconds: Mapped[int | None] = mapped_column(Integer)


class CodeRequestMessage(Base):
    """A message that asked one admin to decide a code request: edited once it is decided."""

    __tablename__ = "code_request_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("code_requests.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    language_code: Mapped[str | None] = mapped_column(ShownText(16))


class StandingApproval(Base):
    """ "Approve for 1 h": until then, this person's requests for this account need no new
    approval (who may see the account is still checked on every request)."""

    __tablename__ = "standing_approvals"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    until: Mapped[datetime] = mapped_column(UtcDateTime)
    approved_by: Mapped[int | None] = mapped_column(BigInteger)


class SmsRelay(Base):
    """A phone that forwards the SMS it receives to the bot, for one account: an app on the
    team's spare phone posts each SMS to `/sms/<path_id>`, signed with the secret."""

    __tablename__ = "sms_relays"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    # Random, in the URL the phone posts to: knowing it is not enough to post (the secret
    # signs each post), but an unknown one is refused before anything is looked up.
    path_id: Mapped[str] = mapped_column(String(32), unique=True)
    # Sealed bound to `path_id`: copied to another relay, it no longer opens.
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # Codes for approving a change of the account (a new phone, a new password) are relayed
    # only when an admin opted in: one in the wrong hands gives the account away.
    changes: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    rotated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_received_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SmsReceipt(Base):
    """What arrived from a relay lately, as digests keyed with the relay's secret: enough to
    refuse a replayed signature and drop an SMS forwarded twice, nothing of its text (a
    digest of a six-digit code could be reversed by trying them all without the key)."""

    __tablename__ = "sms_receipts"
    __table_args__ = (
        Index("ix_sms_receipts_relay_id_signature", "relay_id", "signature"),
        Index("ix_sms_receipts_relay_id_content", "relay_id", "content"),
        Index("ix_sms_receipts_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    relay_id: Mapped[int] = mapped_column(ForeignKey("sms_relays.id", ondelete="CASCADE"))
    signature: Mapped[str | None] = mapped_column(String(64))  # of (ts, sign); None: unsigned
    body: Mapped[str] = mapped_column(String(64))  # of the whole post
    content: Mapped[str] = mapped_column(String(64))  # of its sender and text
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class SmsWait(Base):
    """A member expecting an SMS code for an account: the next one goes to them alone, in
    private, until `until`. One at a time per account, so a code never goes to the wrong
    one of two people logging in at once."""

    __tablename__ = "sms_waits"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    until: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class SmsHeldCode(Base):
    """An SMS code that arrived with nobody waiting: kept sealed for the first member with
    the grant who asks, until `until`. Only the code: an SMS's text is never stored."""

    __tablename__ = "sms_held_codes"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # Random, bound into the seal: a code copied from another row or an earlier SMS does
    # not open here.
    ticket: Mapped[str] = mapped_column(String(32))
    code_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    for_change: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    until: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
