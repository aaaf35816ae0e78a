"""Which notices go out at once and which wait for a digest (rule 7).

Anyone can send `/code`, and every request is told to every admin: sixty strangers'
requests would be sixty messages to each admin, and Telegram's flood control would
make the team's own replies wait behind them. So per admin, at most one message a
minute is about refused requests: the first refusal goes out alone, the ones after it
within the minute are counted and listed together when the minute is over. Granted
requests go out one by one, unless there are more than `GRANTED_ALONE` in a minute;
those after it join the digest, sent when that minute is over.

The notifier guards it with a lock (notices are offered on the rules' worker threads,
digests taken on the loop). Time is the clock's, as everywhere. What waits for a digest
is kept in this process: a replica killed within the minute loses those lines (what it
sent alone, and every stored notice, are not lost).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from bot.rules.clock import Clock
from bot.rules.model import CodeRequestNotice, Recipient

DIGEST_EVERY = 60.0  # seconds: at most one digest (or lone refusal) per admin in this time
GRANTED_ALONE = 5  # granted requests told one by one per admin per `DIGEST_EVERY`
DIGEST_LINES = 30  # distinct lines kept for one digest; the rest are only counted

_Key = tuple[int, str | None, int, str]  # requester, account, chat, outcome


@dataclass(frozen=True)
class Tally:
    """One line of a digest: the same request by the same person, `times` times."""

    notice: CodeRequestNotice  # the latest of them
    times: int


@dataclass(frozen=True)
class Digest:
    recipient: Recipient
    tallies: tuple[Tally, ...]
    uncounted: int  # requests beyond the lines kept


@dataclass
class _Inbox:
    recipient: Recipient
    last_digest: float = float("-inf")  # the last digest, or refusal told alone
    granted: deque[float] = field(default_factory=deque)  # grants told alone, last minute
    waiting: dict[_Key, Tally] = field(default_factory=dict)
    uncounted: int = 0
    due_at: float = float("inf")  # when the digest of what is waiting goes out

    @property
    def empty(self) -> bool:
        return not self.waiting and not self.uncounted

    def idle(self, now: float) -> bool:
        return self.empty and not self.granted and now - self.last_digest >= DIGEST_EVERY


class Coalescer:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._inboxes: dict[int, _Inbox] = {}

    @property
    def kept(self) -> int:
        """Recipients something is kept for (waiting notices, or the minute's counts)."""
        return len(self._inboxes)

    def offer(self, recipient: Recipient, notice: CodeRequestNotice) -> bool:
        """True: tell `recipient` of `notice` now, alone. False: it waits for the digest."""
        now = self._clock()
        inbox = self._inboxes.get(recipient.chat_id)
        if inbox is None:
            inbox = self._inboxes[recipient.chat_id] = _Inbox(recipient)
        inbox.recipient = recipient  # the latest language
        due_at = inbox.last_digest + DIGEST_EVERY
        if notice.outcome == "granted":
            while inbox.granted and now - inbox.granted[0] >= DIGEST_EVERY:
                inbox.granted.popleft()
            if len(inbox.granted) < GRANTED_ALONE:
                inbox.granted.append(now)
                return True
            due_at = max(due_at, inbox.granted[0] + DIGEST_EVERY)
        elif inbox.empty and now >= due_at:
            inbox.last_digest = now
            return True
        if inbox.empty:
            inbox.due_at = due_at
        key = (notice.requester.id, notice.account, notice.place.chat_id, notice.outcome)
        counted = inbox.waiting.get(key)
        if counted is not None:
            inbox.waiting[key] = Tally(notice, counted.times + 1)
        elif len(inbox.waiting) < DIGEST_LINES:
            inbox.waiting[key] = Tally(notice, 1)
        else:
            inbox.uncounted += 1
        return False

    def due(self, *, all_now: bool = False) -> list[Digest]:
        """Digests whose minute is over (`all_now`: every one, as the bot stops); the
        people nothing is waiting for are forgotten."""
        now = self._clock()
        digests = []
        for chat_id, inbox in list(self._inboxes.items()):
            while inbox.granted and now - inbox.granted[0] >= DIGEST_EVERY:
                inbox.granted.popleft()
            if not inbox.empty and (all_now or now >= inbox.due_at):
                digests.append(
                    Digest(inbox.recipient, tuple(inbox.waiting.values()), inbox.uncounted)
                )
                inbox.waiting, inbox.uncounted, inbox.last_digest = {}, 0, now
                inbox.due_at = float("inf")
            elif inbox.idle(now):
                del self._inboxes[chat_id]
        return digests
