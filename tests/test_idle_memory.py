"""What a bot that is only waiting holds in memory: the libraries for images and for
schema migrations stay out of a `teamotp run` process until it needs them (a photo sent, a
store to make or upgrade), which keeps a few MiB off every idle replica."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# The start-up `teamotp run` does, up to polling: settings, the store, the application.
STARTING = """
import sys
from teamotp.app import build_application
from teamotp.config import load_settings
from teamotp.wiring import open_configured_store
settings = load_settings()
store = open_configured_store(settings)
build_application(settings, store)
store.close()
print(" ".join(m for m in ("alembic", "mako", "PIL", "zxingcpp", "segno") if m in sys.modules))
"""


def loaded_at_start(data_dir: Path) -> list[str]:
    env = {
        **os.environ,
        "TEAMOTP_BOT_TOKEN": "123456:not-a-real-token",
        "TEAMOTP_OWNER_IDS": "42",
        "TEAMOTP_DATA_DIR": str(data_dir),
    }
    env.pop("TEAMOTP_DATABASE_URL", None)
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", STARTING],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.split()


def test_a_bot_starting_on_a_current_store_loads_no_image_or_migration_library(
    tmp_path: Path,
) -> None:
    assert "alembic" in loaded_at_start(tmp_path)  # the first start makes the store
    assert loaded_at_start(tmp_path) == []
