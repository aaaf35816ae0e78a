"""What the kernel says a process costs: CPU seconds and memory, from /proc."""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system time of the process, all its threads (utime + stime)."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    # The command name (field 2) may hold spaces; the fields after it do not.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def memory_mib(pid: int) -> tuple[float, float]:
    """Resident set size now and at its peak (VmRSS, VmHWM), in MiB."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) / 1024
    return found.get("VmRSS", 0.0), found.get("VmHWM", 0.0)
