# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a bpy benchmark in a child process (its own Blender state and user folder) and read back
the one JSON line it prints."""
from __future__ import annotations

import json
import subprocess
import sys

from benchmarks.servers import ROOT


def run_child(module: str, *args: str, timeout: float = 1200) -> dict:
    done = subprocess.run([sys.executable, "-m", module, "--child", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed ({done.returncode}):\n{done.stdout[-1500:]}\n{done.stderr[-3000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{module} printed no result:\n{done.stdout[-1500:]}\n{done.stderr[-3000:]}")
    return json.loads(lines[-1])
