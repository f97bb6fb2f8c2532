# SPDX-License-Identifier: GPL-3.0-or-later
"""The rendered clips on disk: rendered once each into the sample cache (never into git) and reused
while neither the scene script nor the clip's definition changes."""
from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

from local_server.mocap.sample_clips import default_cache_dir

from .clips import CLIPS

ROOT = Path(__file__).resolve().parents[2]


def render_dir(name: str) -> Path:
    return default_cache_dir() / "mocap_renders" / name


def _stamp(name: str) -> str:
    scene = (ROOT / "benchmarks" / "mocap" / "scene.py").read_bytes()
    return hashlib.sha256(scene + repr(CLIPS[name]).encode()).hexdigest()[:16]


def ensure_rendered(name: str, rerender: bool = False) -> Path:
    """The folder holding clip.mp4 and truth.npz of a clip, rendering it first if needed (Workbench,
    640x480, about 3 s a frame on an idle 2-core machine)."""
    out = render_dir(name)
    stamp_file = out / "scene.stamp"
    if (not rerender and stamp_file.exists() and stamp_file.read_text() == _stamp(name)
            and (out / "clip.mp4").exists() and (out / "truth.npz").exists()):
        return out
    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    print(f"rendering {name} ({CLIPS[name].frames} frames, Workbench 640x480) ...", flush=True)
    subprocess.run([sys.executable, "-m", "benchmarks.mocap.scene", str(out), name], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    stamp_file.write_text(_stamp(name))
    print(f"  rendered in {time.perf_counter() - t:.0f} s", flush=True)
    return out


if __name__ == "__main__":
    for clip in sys.argv[1:] or list(CLIPS):
        print(ensure_rendered(clip))
