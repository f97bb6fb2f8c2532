# SPDX-License-Identifier: GPL-3.0-or-later
"""The server's log on stderr: whole lines, never interleaved between threads."""
from __future__ import annotations

import sys
import threading

_lock = threading.Lock()


def log(message: str) -> None:
    with _lock:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
