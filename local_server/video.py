# SPDX-License-Identifier: GPL-3.0-or-later
"""Video in and out for processors: probe a file, map a clip window to frames, stream frames, write MP4.

Everything goes through the ffmpeg binary that imageio-ffmpeg ships; frames are numpy RGB arrays
(H, W, 3) uint8 and are streamed, never collected into one array.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import imageio_ffmpeg
import numpy as np

from .processors.base import ProcessingFailed

# ffmpeg prints rates with two decimals (23.98); NTSC rates are snapped back to n*1000/1001.
_NTSC_TOLERANCE = 0.006


@dataclass(frozen=True)
class VideoInfo:
    fps: float
    frame_count: int
    width: int
    height: int

    @property
    def duration(self) -> float:
        """Seconds covered by the frames (frame_count / fps), the time base of clip windows."""
        return self.frame_count / self.fps


def _exact_rate(printed: float) -> float:
    for n in (24, 30, 48, 60, 120, 240):
        ntsc = n * 1000 / 1001
        if abs(printed - ntsc) < _NTSC_TOLERANCE:
            return ntsc
    return printed


def probe_video(path: Path) -> VideoInfo:
    """Frame rate, decoded frame count and frame size of a video file, or ProcessingFailed."""
    path = Path(path)
    if not path.is_file():
        raise ProcessingFailed(f"The source video {path.name} is missing on the server.")
    try:
        reader = imageio_ffmpeg.read_frames(str(path))
        meta = next(reader)
        reader.close()
        frame_count, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    except (OSError, RuntimeError, IndexError, AttributeError, StopIteration) as exc:
        # ffmpeg's log is long and technical; a user needs to know the file is not a video it reads.
        raise ProcessingFailed(
            f"The uploaded file {path.name} could not be read as a video (is it an MP4, MOV or AVI?)."
        ) from exc
    fps = _exact_rate(float(meta.get("fps") or 0.0))
    width, height = meta["size"]
    if fps <= 0 or not frame_count:
        raise ProcessingFailed(f"The uploaded file {path.name} holds no video frames that can be read.")
    return VideoInfo(fps=fps, frame_count=int(frame_count), width=int(width), height=int(height))


def job_frame_count(path: Path, clip_window: tuple[float, float] | None) -> int | None:
    """Frames a job would process, counted from the file's video packets without decoding them (a
    2-hour video takes seconds); None when ffmpeg cannot tell (the processor then reports the problem)."""
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path), "-map", "0:v:0",
           "-c", "copy", "-f", "framecrc", "-"]
    try:
        run = subprocess.run(cmd, capture_output=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return None
    rate = re.search(r"Stream #\S+.*Video:.*?([\d.]+) fps", run.stderr.decode(errors="replace"))
    if run.returncode != 0 or not rate or float(rate.group(1)) <= 0:
        return None
    frames = sum(1 for line in run.stdout.splitlines() if line.startswith(b"0,"))  # one line per packet
    if clip_window is None:
        return frames
    fps = _exact_rate(float(rate.group(1)))
    return max(0, min(frames, round(clip_window[1] * fps)) - max(0, round(clip_window[0] * fps)))


def frame_range(info: VideoInfo, clip_window: tuple[float, float] | None) -> range:
    """Video frames a clip window covers: round(start*fps) up to, not including, round(end*fps)."""
    if clip_window is None:
        return range(0, info.frame_count)
    start, end = clip_window
    first = max(0, round(start * info.fps))
    last = min(info.frame_count, round(end * info.fps))
    if last <= first:
        raise ProcessingFailed(
            f"The clip window {start:g}-{end:g} s holds no frames of this {info.duration:.2f} s video."
        )
    return range(first, last)


def read_frames(path: Path, frames: range | None = None, info: VideoInfo | None = None) -> Iterator[np.ndarray]:
    """Yield read-only RGB frames (H, W, 3) uint8 of `frames` (all when None), decoding from the window on."""
    info = info or probe_video(path)
    frames = frames if frames is not None else range(info.frame_count)
    input_params: list[str] = []
    if frames.start > 0:
        # Accurate input seek: ffmpeg decodes from the previous keyframe and drops frames before the
        # time; half a frame early keeps frame `start` whatever the rounding of its timestamp.
        input_params = ["-ss", f"{(frames.start - 0.5) / info.fps:.6f}"]
    reader = imageio_ffmpeg.read_frames(
        str(path), input_params=input_params, output_params=["-frames:v", str(len(frames))]
    )
    try:
        meta = next(reader)
        width, height = meta["size"]
        for raw in reader:
            yield np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)
    except RuntimeError as exc:
        raise ProcessingFailed(f"Decoding {Path(path).name} failed part way through.") from exc
    finally:
        reader.close()


def rate_fraction(fps: float) -> Fraction:
    """The frame rate as an exact fraction for ffmpeg (29.97 -> 30000/1001)."""
    return Fraction(fps).limit_denominator(1001)


class Mp4Writer:
    """Streams RGB frames into an H.264 MP4 at an exact frame rate (ffmpeg through a pipe)."""

    def __init__(self, path: Path, width: int, height: int, fps: float, crf: int = 23):
        if width % 2 or height % 2:
            raise ValueError("H.264 with yuv420p needs an even frame width and height")
        self.path = Path(path)
        self.size = (width, height)
        cmd = [
            imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(rate_fraction(fps)),
            "-i", "-", "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf),
            "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(self.path),
        ]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        self.frames_written = 0

    def write(self, frame: np.ndarray) -> None:
        if frame.shape != (self.size[1], self.size[0], 3) or frame.dtype != np.uint8:
            raise ValueError(f"frame must be uint8 {(self.size[1], self.size[0], 3)}, got {frame.dtype} {frame.shape}")
        assert self._proc.stdin is not None
        self._proc.stdin.write(np.ascontiguousarray(frame).tobytes())
        self.frames_written += 1

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
        if self._proc.wait() != 0:
            raise ProcessingFailed(f"Writing {self.path.name} failed: {err.strip()[-300:]}")

    def abort(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> "Mp4Writer":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
