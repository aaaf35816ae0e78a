"""What the running bot knows about its own health, kept in memory for `/status`: when it
started, its last error, and how far its clock is from Telegram's.

Telegram stamps every message with its own time; the offset between that and the bot's
clock, taken over the last `WINDOW` updates, tells whether the server's clock is off
(codes depend on it). One median over `WINDOW` numbers per update, and no database call:
the watch costs next to nothing. A single late update (one queued while the bot was
down) moves the median not at all."""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field

WINDOW = 20
LIMIT = 10.0  # seconds; a TOTP window is 30
WARN_EVERY = 24 * 3600.0


class ClockWatch:
    def __init__(self) -> None:
        self._offsets: deque[float] = deque(maxlen=WINDOW)
        self._warned_at: float | None = None

    @property
    def offset(self) -> float | None:
        """The bot's clock minus Telegram's, median of the last updates (None: none yet)."""
        return statistics.median(self._offsets) if self._offsets else None

    @property
    def off(self) -> bool:
        """Whether the clock is off: judged only once the window is full."""
        offset = self.offset
        return len(self._offsets) == WINDOW and offset is not None and abs(offset) > LIMIT

    def observe(self, offset: float, now: float) -> bool:
        """Note one update's offset; True when the owners are to be warned now (the clock
        is off and they were not warned in the last day)."""
        self._offsets.append(offset)
        if not self.off:
            return False
        if self._warned_at is not None and now - self._warned_at < WARN_EVERY:
            return False
        self._warned_at = now
        return True


@dataclass
class Health:
    started_at: float = 0.0
    version: str = "?"
    database: str = "?"  # the store's kind: sqlite, postgresql
    last_error: tuple[str, float] | None = None  # its kind (exception type) and when
    clock: ClockWatch = field(default_factory=ClockWatch)

    def failed(self, kind: str, at: float) -> None:
        self.last_error = (kind, at)
