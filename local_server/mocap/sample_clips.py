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

#: Short names for the clips -> their path inside the wheel. Full body, 1088x1920, 60 fps, 100
#: frames; "multi_person" adds a woman, larger in the picture, beside the man, and a bystander.
#: Both demos are one recording of four calibrated views (CALIBRATION serves them all).
CLIPS = {f"{demo}_cam0{i}": f"Pose2Sim/Demo_{folder}/videos/cam0{i}.mp4"
         for demo, folder in (("single_person", "SinglePerson"), ("multi_person", "MultiPerson")) for i in (1, 2, 3, 4)}
CALIBRATION = "Pose2Sim/Demo_SinglePerson/calibration/Calib.qca.txt"


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
    return _extract(CLIPS[name], f"{name}.mp4", cache_dir)


def calibration_file(cache_dir: Path | None = None) -> Path:
    """The demos' camera calibration (Qualisys .qca.txt: intrinsics, distortion and pose of cam01-04)."""
    return _extract(CALIBRATION, "Calib.qca.txt", cache_dir)


def _extract(member: str, name: str, cache_dir: Path | None) -> Path:
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    target = cache_dir / "clips" / name
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
