"""What the bot waits for from someone in a private chat: the secret after
`/secret add NAME`, a new name after an import named an account by itself, or the new key
after `/secret rotate NAME`; and the reason a code request needs for an admin's approval,
asked in private or in a group (there answered by a reply to the bot's question).

One question at a time per person (a new one replaces the old), for `LIFETIME` seconds,
kept in the store: a restart neither forgets a question (a secret sent while the bot was
down is still taken as the answer) nor keeps one past its deadline (a plain "hello"
days later is never taken as a secret).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.rules.clock import Clock, utc
from storage.models import PendingInput
from storage.store import Store

LIFETIME = 300.0


class Waiting(StrEnum):
    SECRET = "secret"  # noqa: S105 - a question's kind, not a secret
    RENAME = "rename"
    ROTATION = "rotation"  # the new key of an account whose site changes authenticator
    REASON = "reason"  # why a code is needed (bot.rules.holds)

    @property
    def holds_secret(self) -> bool:
        """Whether the awaited answer is a secret: deleted as soon as read, never echoed."""
        return self in (Waiting.SECRET, Waiting.ROTATION)


@dataclass(frozen=True)
class Question:
    waiting: Waiting
    # The account name to add, the id of the account to rename or to re-key, or for a
    # reason "account id:chat id:message id" (see `ReasonAsked`).
    subject: str | int
    until: float


@dataclass(frozen=True)
class ReasonAsked:
    """Which account a reason is for, and where it was asked: in private (`message_id`
    None: the next plain private message answers), or in a group by the bot's message
    `message_id` (a reply to it answers)."""

    account_id: int
    chat_id: int
    message_id: int | None = None

    def subject(self) -> str:
        return f"{self.account_id}:{self.chat_id}:{self.message_id or 0}"

    @classmethod
    def of(cls, question: Question) -> ReasonAsked:
        account_id, chat_id, message_id = (int(part) for part in str(question.subject).split(":"))
        return cls(account_id, chat_id, message_id or None)


class Questions:
    """The questions of everyone, in the store; the time is always the clock's."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def expect_secret(self, user_id: int, name: str) -> Question:
        """After `/secret add NAME`: the next plain private message is that secret."""
        return self._ask(user_id, Waiting.SECRET, name)

    def offer_rename(self, user_id: int, account_id: int) -> Question:
        """After an import named an account by itself: the next plain message renames it."""
        return self._ask(user_id, Waiting.RENAME, account_id)

    def expect_rotation(self, user_id: int, account_id: int) -> Question:
        """After `/secret rotate NAME`: the next plain private message (or QR image) is the
        account's new key."""
        return self._ask(user_id, Waiting.ROTATION, account_id)

    def expect_reason(self, user_id: int, asked: ReasonAsked) -> Question:
        """After a request for an account that needs approval came with no reason."""
        return self._ask(user_id, Waiting.REASON, asked.subject())

    def current(self, user_id: int) -> Question | None:
        """What is awaited from this person now; a question past its deadline is none."""
        with self._store.transaction() as tx:
            row = tx.pending.get(user_id)
            return None if row is None else self._live(row)

    def take(self, user_id: int, *, reply_to: tuple[int, int] | None = None) -> Question | None:
        """What was awaited, answered now: it is no longer awaited. A plain private message
        (`reply_to` None) answers what was asked in private; a reply in a group (its chat id
        and the id of the message it replies to) only the question asked by that message.
        Anything else answers nothing and leaves the question open."""
        if self._nothing_asked(user_id):
            return None
        with self._store.transaction() as tx:
            row = tx.pending.get(user_id)
            if row is None:
                return None
            question = self._live(row)
            if question is not None and _asked_at(question) != reply_to:
                return None
            tx.pending.remove(row)
            return question

    def take_if(self, user_id: int, waiting: Waiting) -> Question | None:
        """Like `take`, but only a question of this kind: any other stays open (a QR image
        answers a rotation, and is imported otherwise)."""
        if self._nothing_asked(user_id):
            return None
        with self._store.transaction() as tx:
            row = tx.pending.get(user_id)
            if row is None or row.awaiting != waiting.value:
                return None
            question = self._live(row)
            if question is not None:
                tx.pending.remove(row)
            return question

    def cancel(self, user_id: int) -> bool:
        """Forget what was awaited (`/cancel`, or any other command); True if something was."""
        return self.take(user_id) is not None

    def waiting(self) -> frozenset[int]:
        """Everyone with a question still open; the expired ones are forgotten here."""
        with self._store.transaction() as tx:
            tx.pending.remove_expired(utc(self._clock()))
            return frozenset(tx.pending.user_ids())

    def _nothing_asked(self, user_id: int) -> bool:
        """Where replicas share the store, any message may answer a question another
        replica asked, so every message of everyone asks the store: it looks first,
        without the store's lock, and the many with no question pay one read. (A single
        process knows whom it asked, and asks the store only for them.)"""
        if not self._store.shared:
            return False
        with self._store.looking() as tx:
            return tx.pending.get(user_id) is None

    def _ask(self, user_id: int, waiting: Waiting, subject: str | int) -> Question:
        question = Question(waiting, subject, self._clock() + LIFETIME)
        with self._store.transaction() as tx:
            tx.pending.put(
                user_id=user_id,
                awaiting=waiting.value,
                subject=str(subject),
                deadline=utc(question.until),
            )
        return question

    def _live(self, row: PendingInput) -> Question | None:
        until = row.deadline.timestamp()
        if until <= self._clock():
            return None
        waiting = Waiting(row.awaiting)
        by_id = waiting in (Waiting.RENAME, Waiting.ROTATION)
        subject: str | int = int(row.subject) if by_id else row.subject
        return Question(waiting, subject, until)


def _asked_at(question: Question) -> tuple[int, int] | None:
    """The group message a question was asked by; None when it was asked in private."""
    if question.waiting is not Waiting.REASON:
        return None
    asked = ReasonAsked.of(question)
    return None if asked.message_id is None else (asked.chat_id, asked.message_id)
