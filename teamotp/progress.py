"""Long work shown where a person watches it: one line on standard error, rewritten in
place as the work goes on, only when standard error is a terminal. A log, a pipe or a
cron mail gets nothing of it, so what a command prints stays its answer."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from teamotp.telling import said

# Rewrites at most this often: a terminal over a slow link is not flooded.
EVERY = 0.1  # seconds


class TerminalProgress:
    """Called with (done, total) as work goes on; `key` is the catalog's line for it, with
    `{done}` and `{total}`."""

    def __init__(self, lang: str, key: str, stream: TextIO | None = None) -> None:
        self._lang, self._key = lang, key
        self._stream = sys.stderr if stream is None else stream
        self._watched = self._stream.isatty()
        self._shown_at = float("-inf")

    def __call__(self, done: int, total: int) -> None:
        if not self._watched:
            return
        now = time.monotonic()
        finished = done >= total
        if not finished and now - self._shown_at < EVERY:
            return
        self._shown_at = now
        line = said(self._lang, self._key, done=done, total=total)
        self._stream.write(f"\r{line}" + ("\n" if finished else ""))
        self._stream.flush()
