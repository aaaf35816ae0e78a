"""`teamotp run` under cProfile, every thread of it, written out when it stops.

`python -m cProfile` sees only the main thread, and the rules run on worker threads
(`bot.chat.worker.offload`): there a profile would miss the store, the decision and the
codes. Here every thread the bot starts gets a profiler of its own, and on exit (SIGTERM
and SIGINT stop `teamotp run` cleanly) all of them are merged into one pstats file.

Run as `python -m benchmarks.profiled OUT` with the bot's TEAMOTP_* environment.
"""

from __future__ import annotations

import cProfile
import pstats
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

    def start_in_thread(frame: FrameType, event: str, arg: Any) -> None:
        """Runs at a new thread's first call: hands the thread to a profiler of its own
        (which replaces this hook for that thread). Each counts its thread's CPU time, not
        the wall clock: a thread waiting for the next update costs nothing."""
        profile = cProfile.Profile(time.thread_time)
        with guard:
            profiles.append(profile)
        profile.enable()

    main_profile = cProfile.Profile(time.thread_time)
    profiles.append(main_profile)
    threading.setprofile(start_in_thread)
    from teamotp.cli import main as teamotp_main

    main_profile.enable()
    try:
        return teamotp_main(["run"])
    finally:
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
        stats.dump_stats(out)


if __name__ == "__main__":
    raise SystemExit(main())
