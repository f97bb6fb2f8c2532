# SPDX-License-Identifier: GPL-3.0-or-later
"""Real test videos, made with the ffmpeg binary that imageio-ffmpeg ships (Debian has none)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg


def make_video(path: Path, seconds: float = 2.0, fps: float = 24, size: tuple[int, int] = (320, 240),
               codec: str = "libx264") -> Path:
    """Write an H.264 test-pattern video (moving, so every frame differs) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = size
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error",
        "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate={fps}",
        "-t", str(seconds), "-pix_fmt", "yuv420p", "-c:v", codec, str(path),
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    return path
