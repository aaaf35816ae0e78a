"""How often the bot answers people outside the team, and how often anyone gets a code.

Anyone on Telegram can write to the bot, and every reply costs: Telegram lets a bot send
about one message a second to a chat and twenty a minute to a group, so each reply to a
stranger in the team's group is one the team may have to wait for. Strangers therefore get
a few replies per person, and a few per minute in any one group, then silence; in a group
nobody approved they hear once that the bot is not approved there, then nothing until an
admin approves it. The team is always answered, and gets codes at a set rate. The counts
are kept in the store, so restarting the bot does not reset them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from bot.rules.access import Access
from bot.rules.clock import Clock, utc
from bot.rules.model import Place, Role
from storage.repositories import Repositories
from storage.store import Store

STRANGER_REPLIES = 5  # replies to one person outside the team...
STRANGER_WINDOW = 600.0  # ...per 10 minutes
GROUP_STRANGER_REPLIES = 5  # replies to strangers in one group, all told...
GROUP_WINDOW = 60.0  # ...per minute: the rest of the group's 20 are the team's
CODE_WINDOW = 60.0
DEFAULT_CODES_PER_MINUTE = 6

# Buckets of the rate_hits table: what is limited (the subject is a user or a chat id).
STRANGER = "stranger"
STRANGERS_IN_GROUP = "strangers_in_group"
CODES = "codes"


def wait_for(
    tx: Repositories, bucket: str, subject: int, now: float, *, allowed: int, window: float
) -> float | None:
    """Seconds until `subject` may use `bucket` again, or None when one of its `allowed`
    uses per `window` seconds is free now (a sliding window over the stored uses)."""
    used = tx.rate_hits.after(bucket, subject, utc(now - window))
    if len(used) < allowed:
        return None
    return max(0.0, used[len(used) - allowed].timestamp() + window - now)


def use(tx: Repositories, bucket: str, subject: int, now: float, *, window: float) -> None:
    """Count one use; everyone's uses of `bucket` that no window sees any more go."""
    tx.rate_hits.forget_before(bucket, utc(now - window))
    tx.rate_hits.add(bucket, subject, utc(now))


def seconds_to_wait(wait: float) -> int:
    """What the person is told: whole seconds, never "0"."""
    return max(1, math.ceil(wait))


class Answer(Enum):
    YES = "yes"
    TELL_NOT_APPROVED = "tell_not_approved"  # once in an unapproved group; then quiet
    QUIET = "quiet"  # recorded, not answered


@dataclass(frozen=True)
class Screening:
    answer: Answer
    role: Role | None


class Limits:
    def __init__(self, store: Store, access: Access, clock: Clock) -> None:
        self._store = store
        self._access = access
        self._clock = clock

    def screen(self, person_id: int, place: Place) -> Screening:
        """Whether a message from `person_id` in `place` gets an answer. The team always
        does. A stranger does only a few times, and in a group that is not approved not at
        all once the group was told so. An answer granted to a stranger is counted here."""
        now = self._clock()
        with self._store.transaction() as tx:
            role = self._access.role(tx, person_id)
            if role is not None:
                return Screening(Answer.YES, role)
            if not place.private and tx.chats.get(place.chat_id) is None:
                if tx.quiet_chats.told(place.chat_id):
                    return Screening(Answer.QUIET, role)
                tx.quiet_chats.mark(place.chat_id, utc(now))
                return Screening(Answer.TELL_NOT_APPROVED, role)
            quotas = [(STRANGER, person_id, STRANGER_REPLIES, STRANGER_WINDOW)]
            if not place.private:
                quotas.append(
                    (STRANGERS_IN_GROUP, place.chat_id, GROUP_STRANGER_REPLIES, GROUP_WINDOW)
                )
            for bucket, subject, allowed, window in quotas:
                if wait_for(tx, bucket, subject, now, allowed=allowed, window=window) is not None:
                    return Screening(Answer.QUIET, role)
            for bucket, subject, _, window in quotas:
                use(tx, bucket, subject, now, window=window)
            return Screening(Answer.YES, role)

    def tell_unapproved(self, chat_id: int) -> bool:
        """True the first time a group that is not approved is to be told so."""
        with self._store.transaction() as tx:
            if tx.chats.get(chat_id) is not None or tx.quiet_chats.told(chat_id):
                return False
            tx.quiet_chats.mark(chat_id, utc(self._clock()))
            return True
