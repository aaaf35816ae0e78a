"""When to tell the owners of an unexpected failure: at most once per kind of failure in
ten minutes, so a broken database (every update failing) is one message, not hundreds,
while a new kind of failure is told at once."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from bot.rules.clock import Clock

ALARM_INTERVAL = 600.0  # seconds


@dataclass(frozen=True)
class Failure:
    kind: str
    at: float


class Alarms:
    """What was told to the owners and when. Errors are handled on the event loop, but a
    lock keeps it right when a failure is reported from a worker thread too."""

    def __init__(self, clock: Clock, interval: float = ALARM_INTERVAL) -> None:
        self._clock = clock
        self._interval = interval
        self._told: dict[str, float] = {}
        self._lock = threading.Lock()
        self.last: Failure | None = None

    def failed(self, kind: str) -> Failure | None:
        """Note a failure of `kind`; the failure to tell the owners of, or None when they
        were told of this kind less than the interval ago."""
        now = self._clock()
        with self._lock:
            self.last = Failure(kind, now)
            told = self._told.get(kind)
            if told is not None and now - told < self._interval:
                return None
            self._told[kind] = now
            return self.last
