"""Optional flood control: Telegram's per-chat and global send limits.

Roughly: 1 message a second to one private chat, 20 a minute to one group, 30 a
second overall. Off by default (tests send in bursts on purpose); switch it on with
``fake.flood_control = True`` to prove the bot copes with 429 ``retry_after``.
"""

from __future__ import annotations

import math
import time
from collections import deque

from .errors import too_many_requests

PRIVATE_PER_SECOND = 1
GROUP_PER_MINUTE = 20
GLOBAL_PER_SECOND = 30


class FloodControl:
    """Sliding windows of recent sends, per chat and overall."""

    def __init__(self) -> None:
        self._per_chat: dict[int, deque[float]] = {}
        self._all: deque[float] = deque()

    def check(self, chat_id: int, *, private: bool) -> None:
        """Raise 429 when one more message to ``chat_id`` would exceed a limit, else count it."""
        now = time.monotonic()
        window, limit = (1.0, PRIVATE_PER_SECOND) if private else (60.0, GROUP_PER_MINUTE)
        sent = self._per_chat.setdefault(chat_id, deque())
        for queue, span in ((sent, window), (self._all, 1.0)):
            while queue and now - queue[0] >= span:
                queue.popleft()
        if len(sent) >= limit:
            raise too_many_requests(max(1, math.ceil(window - (now - sent[0]))))
        if len(self._all) >= GLOBAL_PER_SECOND:
            raise too_many_requests(1)
        sent.append(now)
        self._all.append(now)
