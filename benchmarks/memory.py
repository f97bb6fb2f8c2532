# SPDX-License-Identifier: GPL-3.0-or-later
"""Peak resident memory of this process, from /proc (Linux): reset the peak, then read it back."""
from __future__ import annotations

from pathlib import Path


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def reset_peak() -> bool:
    """Make VmHWM equal the current RSS (Linux >= 4.0: write 5 to clear_refs); False if refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class PeakGrowth:
    """`with PeakGrowth() as g: work()` then g.mib: how far the peak RSS rose above the RSS at entry."""

    def __enter__(self) -> "PeakGrowth":
        self.exact = reset_peak()
        self.before_kib = _status_kib("VmRSS") if self.exact else _status_kib("VmHWM")
        return self

    def __exit__(self, *exc) -> None:
        self.peak_kib = _status_kib("VmHWM")

    @property
    def mib(self) -> float:
        return max(0, self.peak_kib - self.before_kib) / 1024
