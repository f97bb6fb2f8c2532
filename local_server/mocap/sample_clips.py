# SPDX-License-Identifier: GPL-3.0-or-later
"""Real videos of people for tests and the demo, taken out of the pose2sim wheel (BSD-3) on PyPI.

The wheel is fetched once with pip's ordinary client into a cache folder; nothing is committed.
"""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

POSE2SIM_VERSION = "0.10.49"
_WHEEL = f"pose2sim-{POSE2SIM_VERSION}-py3-none-any.whl"

#: Short names for the clips we use -> their path inside the wheel. One person, full body,
#: 1080x1920, 60 fps, 100 frames; "multi_person" has a second, larger person in front.
CLIPS = {
    "single_person_cam01": "Pose2Sim/Demo_SinglePerson/videos/cam01.mp4",
    "single_person_cam02": "Pose2Sim/Demo_SinglePerson/videos/cam02.mp4",
    "multi_person_cam01": "Pose2Sim/Demo_MultiPerson/videos/cam01.mp4",
}


def default_cache_dir() -> Path:
    """`$MOVE_SAMPLE_CACHE`, else ~/.cache/move_ai_samples."""
    env = os.environ.get("MOVE_SAMPLE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "move_ai_samples"


def _wheel(cache_dir: Path) -> Path:
    wheel = cache_dir / _WHEEL
    if not wheel.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
               f"pose2sim=={POSE2SIM_VERSION}", "-d", str(cache_dir)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0 or not wheel.exists():
            raise RuntimeError(f"could not fetch the pose2sim wheel with pip: {done.stderr.strip()[-400:]}")
    return wheel


def sample_clip(name: str = "single_person_cam01", cache_dir: Path | None = None) -> Path:
    """Path of a sample clip on disk, downloading the wheel and extracting the clip on first use."""
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    member = CLIPS[name]
    target = cache_dir / "clips" / f"{name}.mp4"
    if target.exists():
        return target
    wheel = _wheel(cache_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_suffix(".part")
    with zipfile.ZipFile(wheel) as zf, zf.open(member) as src, open(part, "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    part.replace(target)  # atomic, so a concurrent reader never sees half a file
    return target


if __name__ == "__main__":
    for clip in sys.argv[1:] or ["single_person_cam01"]:
        print(sample_clip(clip))
