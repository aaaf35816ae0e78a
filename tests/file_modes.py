"""Running a command the way the bot's own user would meet a file's mode.

Root reads and writes any file whatever its mode, so a test of "the key file is not
readable" would prove nothing when the suite runs as root (as in a container or on CI).
There the command runs without the two capabilities that let root past a file's mode
(`setpriv` drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH): root is then held to the
owner's bits like anyone, so a mode 0000 file is unreadable to it too.
"""

from __future__ import annotations

import os
import shutil

import pytest

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
_CAPABILITIES = "-dac_override,-dac_read_search"


def held_to_file_modes(*command: str) -> list[str]:
    """`command`, run so that file modes hold for it (as it is, when not root)."""
    if not AS_ROOT:
        return list(command)
    setpriv = shutil.which("setpriv")
    if setpriv is None:  # util-linux, on every Debian and in the image's base
        pytest.fail("running as root needs setpriv (util-linux) to test file permissions")
    return [setpriv, f"--inh-caps={_CAPABILITIES}", f"--bounding-set={_CAPABILITIES}", *command]
