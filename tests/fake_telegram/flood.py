"""Optional flood control: Telegram's per-chat, per-group and global send limits.

Telegram's FAQ: no more than about one message a second to one chat ("short bursts that
go over this limit" pass), 20 a minute to one group, about 30 a second overall; past a
limit a send is answered 429 with ``retry_after``. Modelled as sliding windows: at most
``PER_CHAT_PER_SECOND`` sends to any one chat in a second (the short burst), at most
``GROUP_PER_MINUTE`` to one group or supergroup in a minute, and ``GLOBAL_PER_SECOND``
to all chats together in a second. Off by default (tests send in bursts on purpose);
switch it on with ``fake.flood_control = True`` to prove the bot copes with 429.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from .errors import too_many_requests

PER_CHAT_PER_SECOND = 3
GROUP_PER_MINUTE = 20
GLOBAL_PER_SECOND = 30


class FloodControl:
    """Sliding windows of recent sends, per chat and overall."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._per_chat: dict[int, deque[float]] = {}
        self._per_group: dict[int, deque[float]] = {}
        self._all: deque[float] = deque()

    def check(self, chat_id: int, *, private: bool) -> None:
        """Raise 429 when one more message to ``chat_id`` would exceed a limit, else count it."""
        now = self._clock()
        windows = [
            (self._per_chat.setdefault(chat_id, deque()), 1.0, PER_CHAT_PER_SECOND),
            (self._all, 1.0, GLOBAL_PER_SECOND),
        ]
        if not private:
            windows.append((self._per_group.setdefault(chat_id, deque()), 60.0, GROUP_PER_MINUTE))
        for sent, span, _ in windows:
            while sent and now - sent[0] >= span:
                sent.popleft()
        for sent, span, limit in windows:
            if len(sent) >= limit:
                raise too_many_requests(max(1, math.ceil(span - (now - sent[-limit]))))
        for sent, _, _ in windows:
            sent.append(now)
