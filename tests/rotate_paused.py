"""`teamotp rotate-key` that stops at one of its steps and waits there to be killed: run as
`python -m tests.rotate_paused STEP` by the tests that kill it midway. It says
`paused at STEP` on standard output once it is there."""

from __future__ import annotations

import sys
import time

from storage import keyrotation
from teamotp.cli import main


def run(step: str) -> int:
    def pause(reached: str) -> None:
        if reached == step:
            print(f"paused at {reached}", flush=True)
            time.sleep(120)

    keyrotation.checkpoint = pause
    return main(["rotate-key"])


if __name__ == "__main__":
    sys.exit(run(sys.argv[1]))
