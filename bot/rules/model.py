"""The domain's values: plain, immutable, and free of any Telegram or database type."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.rules.otp import Code


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"

    @property
    def rank(self) -> int:
        return {Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


@dataclass(frozen=True)
class Person:
    """Who sent an update, as Telegram described them just now."""

    id: int
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    @property
    def full_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or str(self.id)


# Whoever runs `teamotp accounts ...` on the server: they hold the database and the key
# already, so they act as an owner. Telegram never uses user id 0.
OPERATOR = Person(0, "server operator")


@dataclass(frozen=True)
class Place:
    """Where an update came from."""

    chat_id: int
    private: bool
    title: str | None = None


@dataclass(frozen=True)
class Target:
    """Whom an admin command is about, in one of the forms the handler could parse."""

    user_id: int | None = None
    username: str | None = None
    person: Person | None = None


@dataclass(frozen=True)
class Sighting:
    """What the bot knows of an @username: whose it was when last seen, and when."""

    user_id: int
    username: str
    last_seen: datetime
    days: int  # whole days since
    recent: bool  # seen lately: no need to say more
    stale: bool  # seen long ago: the name may belong to someone else now
    account_ids: tuple[int, ...] = ()


class Approval(StrEnum):
    NONE = "none"
    ADMIN = "admin"  # every code request waits for an admin's yes


class Delivery(StrEnum):
    HERE = "here"  # where it was asked for
    PRIVATE = "private"  # always the requester's private chat


class PlainAdd(StrEnum):
    ALL = "all"  # a plain `/add` includes this account
    LISTED = "listed"  # only an `/add` that names it


@dataclass(frozen=True)
class Policy:
    approval: Approval = Approval.NONE
    delivery: Delivery = Delivery.HERE
    members: PlainAdd = PlainAdd.ALL


@dataclass(frozen=True)
class AccountInfo:
    id: int
    name: str
    issuer: str | None
    algorithm: str
    digits: int
    period: int
    # False when the stored secret no longer opens (its row was changed outside the bot).
    readable: bool = True
    policy: Policy = field(default_factory=Policy)
    # For a member's own list: when their access to it ends (None: it does not).
    until: datetime | None = None
    # For admins' `/secret list` only: the custody note (None: none, or not asked for), and
    # False when a note is stored that no longer opens.
    note: str | None = field(default=None, repr=False)
    note_readable: bool = True
    # A new key waits for an admin to confirm that the site took it.
    rotating: bool = False
    # The team's spare phone forwards the account's SMS codes (`bot.rules.relays`).
    relayed: bool = False


@dataclass(frozen=True)
class IssuedCode:
    account: AccountInfo
    code: Code
    at: float
    next_shown_below: int = 10

    @property
    def seconds_left(self) -> int:
        return self.code.seconds_left(self.at)

    @property
    def shows_next(self) -> bool:
        """Near the end of a window the next code is shown too, so nobody types a dying code."""
        return self.seconds_left < self.next_shown_below

    @property
    def expires_at(self) -> float:
        """When the last code the reply shows stops working."""
        if self.shows_next:
            return float(self.code.valid_until + self.account.period)
        return float(self.code.valid_until)


@dataclass(frozen=True)
class AddedAccount:
    issued: IssuedCode
    secret_bits: int
    short_secret: bool


@dataclass(frozen=True)
class Skipped:
    """Something in an import that was not added, and why (a catalog key)."""

    label: str
    reason: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ImportReport:
    added: tuple[AddedAccount, ...]
    skipped: tuple[Skipped, ...]
    # Google Authenticator splits big exports over several QR codes: (number, of how many).
    batch: tuple[int, int] | None = None
    # A single account named from its issuer or label: the admin may want another name.
    renamable: bool = False


@dataclass(frozen=True)
class Exported:
    """An account's setup link, for an owner moving it to a phone."""

    account: AccountInfo
    uri: str = field(repr=False)


@dataclass(frozen=True)
class Picker:
    """Several accounts fit: the user picks one, a page at a time. `more`, `back`: the id
    of the first account of the next and the previous page (None: none); `prefix`: how
    many characters of those accounts' name keys the request typed (`/code amazon`), so a
    page button carries numbers only."""

    accounts: tuple[AccountInfo, ...]
    more: int | None = None
    back: int | None = None
    prefix: int = 0


@dataclass(frozen=True)
class MemberView:
    user_id: int
    role: Role
    name: str
    username: str | None
    all_accounts: bool
    accounts: tuple[str, ...]
    notify: bool = True
    configured_owner: bool = False
    # When the all-accounts grant ends (None: it does not), and when each named grant in
    # `accounts` ends (empty: none does).
    until: datetime | None = None
    ends: tuple[datetime | None, ...] = ()

    @property
    def temporary(self) -> bool:
        return self.until is not None or any(end is not None for end in self.ends)


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    outcome: str
    account: str | None
    chat_id: int | None
    target_id: int | None
    target_name: str | None
    params: tuple[tuple[str, str | int], ...] = ()
    # What the first version wrote as English text instead of parameters.
    legacy_detail: str | None = None
    # The same refusal repeated within a few minutes is one entry.
    count: int = 1


@dataclass(frozen=True)
class Recipient:
    chat_id: int
    language_code: str | None


@dataclass(frozen=True)
class CodeRequestNotice:
    """What admins are told about one code request."""

    requester: Person
    account: str | None
    place: Place
    at: datetime
    outcome: str
    recipients: tuple[Recipient, ...] = field(default=())
    # Asked for in a group, the code went to the requester's private chat (the account's
    # delivery policy): the notice says both.
    privately: bool = False


@dataclass(frozen=True)
class GrantedCode:
    """A code handed out, and what the admins are told of it once the person has it (or
    could not be given it): "granted" only for a reply that arrived."""

    issued: IssuedCode
    notice: CodeRequestNotice


@dataclass(frozen=True)
class ExportNotice:
    """What every admin is told when an owner exports a secret."""

    owner: Person
    account: str
    at: datetime
    recipients: tuple[Recipient, ...] = field(default=())


@dataclass(frozen=True)
class LockState:
    by_id: int
    by_name: str
    at: datetime


@dataclass(frozen=True)
class LockNotice:
    """What every admin is told when the bot is locked or unlocked, and by whom."""

    actor: Person
    locked: bool
    at: datetime
    recipients: tuple[Recipient, ...] = field(default=())


@dataclass(frozen=True)
class RotationNotice:
    """What every admin is told when an account's key was replaced: from now on its codes
    come from the new key."""

    admin: Person  # who confirmed that the site took it
    account: str
    at: datetime
    recipients: tuple[Recipient, ...] = field(default=())


# --- people who leave: the seeds they saw, and what the admins are told ---


class Seen(StrEnum):
    """How someone came to see an account's seed."""

    ADDED = "added"  # pasted it with /secret add (or added it before this was recorded)
    IMPORTED = "imported"  # sent its QR code or a Google Authenticator export
    EXPORTED = "exported"  # received it with /secret export
    ROTATED = "rotated"  # set its new seed with /secret rotate


@dataclass(frozen=True)
class SeenSeed:
    """An account whose seed someone has seen: it stays known to them after they go."""

    account: str
    hows: tuple[Seen, ...]


class Loss(StrEnum):
    """Why someone lost access (or, for an owner leaving a roster group, did not)."""

    REVOKED = "revoked"
    DEMOTED = "demoted"  # no longer an admin: still a member, with codes
    LEFT = "left"  # left a roster group
    REMOVED = "removed"  # was removed from a roster group
    OWNER_LEFT = "owner_left"  # an owner left or was removed: owners keep their access


@dataclass(frozen=True)
class LostAccess:
    """Who lost access, why, and which seeds they had seen (none: only ever codes)."""

    person: Person
    loss: Loss
    seen: tuple[SeenSeed, ...]
    by: Person | None = None  # who did it; None when they left by themselves
    group: str | None = None  # the roster group's title, for a leave


@dataclass(frozen=True)
class LostAccessNotice:
    """What every admin and owner is told when someone loses access, /notify or not: it
    is a security matter. The one who acted reads it in their reply instead."""

    lost: LostAccess
    at: datetime
    recipients: tuple[Recipient, ...] = field(default=())


@dataclass(frozen=True)
class RotationExpiredNotice:
    """What the admin who started a change of key is told when nobody confirmed it in time:
    the old key stays."""

    account: str
    at: datetime
    recipients: tuple[Recipient, ...] = field(default=())


class Change(StrEnum):
    """What an `/add` did to an end the person already had (the latest /add counts)."""

    NEW = "new"  # they had none of it
    SAME = "same"
    LONGER = "longer"
    SHORTER = "shorter"
    PERMANENT = "permanent"  # it had an end, and no longer has one


@dataclass(frozen=True)
class Added:
    """The outcome of an `/add`: the member as they are now, what changed, and whom to
    tell (the member, in their language, when an end is involved)."""

    member: MemberView
    at: datetime  # when it was decided: "until 21:30 UTC (in 8 h)" counts from here
    change: Change
    language_code: str | None = None

    @property
    def tell_member(self) -> bool:
        return self.member.temporary or self.change is Change.PERMANENT


@dataclass(frozen=True)
class Ended:
    """One member's grants that ended by themselves in one sweep."""

    user_id: int
    name: str
    username: str | None
    language_code: str | None
    everything: bool  # the all-accounts grant ended
    accounts: tuple[str, ...]  # the named grants that ended (besides)
    at: datetime  # when (the latest of their ends)
    left: MemberView | None  # what they still have; None: no longer a member
    seen: tuple[SeenSeed, ...] = ()  # the seeds they saw, when no longer a member


@dataclass(frozen=True)
class GrantsEndedNotice:
    """What admins are told of grants that ended by themselves, one notice a sweep."""

    ended: tuple[Ended, ...]
    at: datetime
    recipients: tuple[Recipient, ...] = field(default=())


@dataclass(frozen=True)
class Revoked:
    """What `/revoke` did: the person's name, what is left of them (None: removed
    entirely) and, when removed entirely, what they saw."""

    name: str
    left: MemberView | None
    lost: LostAccess | None = None


@dataclass(frozen=True)
class Demoted:
    view: MemberView
    lost: LostAccess


@dataclass(frozen=True)
class RosterUnwatchedNotice:
    """The bot is no longer an administrator of the roster group: Telegram may stop telling
    it of people leaving, so the admins are told to make it one again."""

    group: str | None
    by: Person | None
    at: datetime
    recipients: tuple[Recipient, ...] = field(default=())


# --- the SMS relay: codes the team's spare phone forwards ---


class SmsEvent(StrEnum):
    """What happened to an SMS, or to a wait for one; each is audited and told."""

    DELIVERED = "delivered"  # to the member who waited, in private
    HANDED = "handed"  # a held code, to the first member who asked
    HELD = "kept"  # nobody waited: kept for the first member who asks
    UNDELIVERED = "undelivered"  # the member waiting could not be sent it: held
    DROPPED = "dropped"  # held, and nobody asked in time
    NO_CODE = "no_code"  # an SMS arrived with no code in it
    AMBIGUOUS = "ambiguous"  # more than one number could be its code: none is relayed
    CHANGE_REFUSED = "change_refused"  # a code to approve an account change, not opted in
    REFUSED = "refused"  # a post with wrong credentials, stale, replayed or unreadable
    WAIT_ENDED = "wait_ended"  # to the member: nothing arrived while they waited
    WAIT_REFUSED = "wait_refused"  # a member's /sms wait was refused


@dataclass(frozen=True)
class SmsCode:
    """A code an SMS brought, for one account. The SMS's text is not kept: only the code."""

    account: AccountInfo
    code: str = field(repr=False)
    received_at: float
    until: float  # when the message showing it is deleted
    for_change: bool = False


@dataclass(frozen=True)
class SmsNotice:
    """What admins (or, for `WAIT_ENDED`, the member who waited) are told of an SMS."""

    event: SmsEvent
    account: str
    at: datetime
    person: Person | None = None  # who got it, or who waited
    for_change: bool = False
    reason: str | None = None  # why a wait was refused: a `reason.*` of the catalog
    recipients: tuple[Recipient, ...] = field(default=())


Notice = (
    SmsNotice
    | CodeRequestNotice
    | ExportNotice
    | LockNotice
    | GrantsEndedNotice
    | LostAccessNotice
    | RosterUnwatchedNotice
    | RotationNotice
    | RotationExpiredNotice
)
