"""The team a benchmark runs against, and the load its people put on the bot.

Everything is derived from the store's size and a seed, so the process that fills the
store, the fake Bot API server and the driver each build the same team on their own:
the same people in the same groups, the same accounts with the same secrets (which the
driver needs to tell whether a code shown was still current when it arrived).
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass
from typing import Literal

StoreSize = Literal["small", "large"]

BOT_ID = 123456789
BOT_USERNAME = "teamotp_bench_bot"
TOKEN = f"{BOT_ID}:BENCH-not-a-real-token"
OWNER_ID = 1001
# Owners and admins who hear of every code request (the owner comes from TEAMOTP_OWNER_IDS).
NOTIFIED_ADMINS = (1002, 1003)
FIRST_MEMBER = 200_000
GROUP_BASE = -1_001_000_000_000
ALGORITHM, DIGITS, PERIOD = "SHA1", 6, 30


@dataclass(frozen=True)
class Size:
    accounts: int
    members: int
    groups: int
    # Admins who turned notifications off: every request still reads them from the store.
    quiet_admins: int


SIZES: dict[StoreSize, Size] = {
    "small": Size(accounts=10, members=100, groups=10, quiet_admins=0),
    "large": Size(accounts=10_000, members=100_000, groups=1_000, quiet_admins=47),
}

# Every tenth member was granted every account; the others three accounts by name.
ALL_ACCOUNTS_EVERY = 10
NAMED_GRANTS = 3


def account_name(index: int) -> str:
    return f"acct-{index:05d}"


def secret_of(index: int) -> str:
    """The authenticator secret of account `index` (base32, 160 bits): made up, and the
    same in every process, so the driver can compute the code a reply should show."""
    digest = hashlib.sha256(f"teamotp-benchmark-account-{index}".encode()).digest()[:20]
    return base64.b32encode(digest).decode("ascii")


def group_id(index: int) -> int:
    return GROUP_BASE - index


def group_title(index: int) -> str:
    return f"Shop team {index}"


@dataclass(frozen=True)
class Person:
    user_id: int
    first_name: str
    username: str
    language_code: str

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.user_id,
            "is_bot": False,
            "first_name": self.first_name,
            "username": self.username,
            "language_code": self.language_code,
        }


class Team:
    """The owner, the admins, the members with their grants, the approved groups and the
    accounts of one store size."""

    def __init__(self, size: StoreSize) -> None:
        self.size_name = size
        self.size = SIZES[size]

    # ------------------------------------------------------------------ people

    @property
    def admin_ids(self) -> tuple[int, ...]:
        """Admins in the store (not the owner, who is configured)."""
        quiet = tuple(range(2001, 2001 + self.size.quiet_admins))
        return NOTIFIED_ADMINS + quiet

    @property
    def notified_ids(self) -> tuple[int, ...]:
        return (OWNER_ID, *NOTIFIED_ADMINS)

    def member_ids(self) -> range:
        return range(FIRST_MEMBER, FIRST_MEMBER + self.size.members)

    def person(self, user_id: int) -> Person:
        # One in five speaks Chinese: both catalogs are in use, as in a real team.
        language = "zh-hans" if user_id % 5 == 0 else "en"
        return Person(user_id, f"User {user_id}", f"user{user_id}", language)

    def is_person(self, user_id: int) -> bool:
        return (
            user_id == OWNER_ID
            or user_id in self.admin_ids
            or FIRST_MEMBER <= user_id < FIRST_MEMBER + self.size.members
        )

    def has_all_accounts(self, user_id: int) -> bool:
        return (user_id - FIRST_MEMBER) % ALL_ACCOUNTS_EVERY == 0

    def granted(self, user_id: int) -> tuple[int, ...]:
        """The account indexes (1-based) granted by name to a member without all of them."""
        j = user_id - FIRST_MEMBER
        count = self.size.accounts
        first = (j * 7) % count
        return tuple(sorted({(first + k) % count + 1 for k in range(NAMED_GRANTS)}))

    # ------------------------------------------------------------------ groups

    def group_of(self, user_id: int) -> int:
        """The group index (0-based) a member belongs to."""
        return (user_id - FIRST_MEMBER) % self.size.groups

    def in_group(self, chat_id: int, user_id: int) -> bool:
        if user_id in self.notified_ids or user_id in self.admin_ids:
            return True  # the admins are in every group of the team
        index = GROUP_BASE - chat_id
        return (
            FIRST_MEMBER <= user_id < FIRST_MEMBER + self.size.members
            and self.group_of(user_id) == index
        )

    def is_group(self, chat_id: int) -> bool:
        return 0 <= GROUP_BASE - chat_id < self.size.groups


# ---------------------------------------------------------------------- the load

Kind = Literal["group_named", "group_picker", "private_named", "private_picker"]

# The mix of requests: most ask for an account by name, in a group or in private; some
# send a bare /code, which gets the picker of the accounts they may use (or the code,
# when they may use one).
MIX: tuple[tuple[Kind, float], ...] = (
    ("group_named", 0.45),
    ("group_picker", 0.15),
    ("private_named", 0.30),
    ("private_picker", 0.10),
)

# Under Telegram's limits a group takes 20 messages a minute: the load sends no group more
# requests than leaves room for its replies (the rest of the mix goes to private chats).
GROUP_REQUESTS_PER_MINUTE = 15


@dataclass(frozen=True)
class Request:
    """One `/code` a person sends: where, the text, and the account it names (if any)."""

    user_id: int
    chat_id: int  # a group's id, or the user's own for a private chat
    text: str
    account: int | None  # the account's index when the text names one
    kind: Kind

    @property
    def private(self) -> bool:
        return self.chat_id > 0


class Load:
    """Requests from the members (never from the admins who are told of them), drawn at
    random with a fixed seed. `planned_rate` says how fast they will be sent, so that,
    with Telegram's limits on, no group gets more requests than it can be answered in."""

    def __init__(self, team: Team, *, seed: int = 12, limited: bool = False) -> None:
        self._team = team
        self._random = random.Random(seed)  # noqa: S311 - a load to send, not a secret
        self._limited = limited
        self._clock = 0.0  # planned seconds since the load began
        self._group_sends: dict[int, list[float]] = {}
        self._kinds = [kind for kind, _ in MIX]
        self._weights = [weight for _, weight in MIX]

    def requests(self, count: int, rate: float) -> list[Request]:
        """`count` requests, the load's clock moving as they would be sent at `rate` (for
        a queued burst: the rate the bot is expected to answer them at)."""
        made = []
        for _ in range(count):
            made.append(self._next())
            self._clock += 1.0 / rate
        return made

    def pause(self, seconds: float) -> None:
        """Time passes between phases (it frees the groups' minute)."""
        self._clock += seconds

    def _next(self) -> Request:
        team = self._team
        user = self._random.choice(team.member_ids())
        kind = self._random.choices(self._kinds, self._weights)[0]
        if kind.startswith("group") and self._limited and not self._group_has_room(user):
            kind = "private_named" if kind == "group_named" else "private_picker"
        if team.has_all_accounts(user):
            account = self._random.randint(1, team.size.accounts)
        else:
            account = self._random.choice(team.granted(user))
        named = kind.endswith("named")
        chat = user if kind.startswith("private") else group_id(team.group_of(user))
        text = f"/code {account_name(account)}" if named else "/code"
        return Request(user, chat, text, account if named else None, kind)

    def _group_has_room(self, user: int) -> bool:
        group = self._team.group_of(user)
        sends = [t for t in self._group_sends.get(group, []) if self._clock - t < 60.0]
        if len(sends) >= GROUP_REQUESTS_PER_MINUTE:
            self._group_sends[group] = sends
            return False
        sends.append(self._clock)
        self._group_sends[group] = sends
        return True
