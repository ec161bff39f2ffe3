"""Shared bench settings and helpers."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The development speech data: ``../shared/data`` beside the checkout, or $SAYWELL_SHARED_DATA.
SHARED_DATA = Path(os.environ.get("SAYWELL_SHARED_DATA", ROOT.parent / "shared" / "data"))


def memory_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    """A process's memory in MB from ``/proc/PID/status``: ``VmRSS`` (now) or ``VmHWM`` (peak).

    Not ``ru_maxrss``: it carries over the size of whatever process forked the measured one.
    Off Linux: this process's peak (``ru_maxrss``), 0 for another process.
    """
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    if pid != "self":
        return 0.0
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
