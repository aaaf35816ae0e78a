"""`teamotp run` under cProfile, every thread of it, written out when it stops.

`python -m cProfile` sees only the main thread, and the rules run on worker threads
(`bot.chat.worker.offload`): there a profile would miss the store, the decision and the
codes. Here every thread the bot starts gets a profiler of its own, counting that
thread's CPU time (a thread waiting for the next update costs nothing), and all of them
are merged into one pstats file: on SIGUSR2 (the driver asks for it before it stops a
bot that may be slow to stop, with a backlog of updates), else when the bot exits
(SIGTERM and SIGINT stop `teamotp run` cleanly).

Run as `python -m benchmarks.profiled OUT` with the bot's TEAMOTP_* environment.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any


def main() -> int:
    out = Path(sys.argv[1])
    profiles: list[cProfile.Profile] = []
    guard = threading.Lock()
    written = threading.Event()

    def start_in_thread(frame: FrameType, event: str, arg: Any) -> None:
        """Runs at a new thread's first call: hands the thread to a profiler of its own
        (which replaces this hook for that thread)."""
        profile = cProfile.Profile(time.thread_time)
        with guard:
            profiles.append(profile)
        profile.enable()

    def write(*_: object) -> None:
        """Merge every thread's profile into OUT, once (written beside it, then moved, so
        that whoever waits for OUT never reads half of it)."""
        if written.is_set():
            return
        written.set()
        main_profile.disable()
        threading.setprofile(None)
        with guard:
            taken = list(profiles)
        stats = pstats.Stats(taken[0])
        for profile in taken[1:]:
            try:
                stats.add(profile)
            except TypeError:  # a thread that never called anything
                continue
        partial = out.with_name(out.name + ".partial")
        stats.dump_stats(partial)
        os.replace(partial, out)

    main_profile = cProfile.Profile(time.thread_time)
    profiles.append(main_profile)
    threading.setprofile(start_in_thread)
    signal.signal(signal.SIGUSR2, write)
    from teamotp.cli import main as teamotp_main

    main_profile.enable()
    try:
        return teamotp_main(["run"])
    finally:
        write()


if __name__ == "__main__":
    raise SystemExit(main())
