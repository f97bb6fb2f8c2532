# SPDX-License-Identifier: GPL-3.0-or-later
"""Frame and time arithmetic between a VSE movie strip, Move's clip window and an imported action.

A movie strip shows one video frame per scene frame whatever the scene's fps, so an imported
action is in step with it when sample i sits on scene frame `strip.frame_final_start + i`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ClipWindow:
    start: float  # seconds into the source video
    end: float

    def frame_count(self, fps: float) -> int:
        """Video frames round(start*fps) .. round(end*fps)-1, as the server cuts them."""
        return round(self.end * fps) - round(self.start * fps)


def clip_window(frame_offset_start: float, frame_final_duration: int, video_fps: float) -> ClipWindow:
    """The seconds of the source video a trimmed strip shows: its hidden head, then its visible length."""
    if video_fps <= 0 or not math.isfinite(video_fps):
        raise ValueError(f"the strip's video rate {video_fps!r} is not a usable fps")
    if frame_final_duration <= 0:
        raise ValueError("the strip shows no frames")
    start = max(0.0, frame_offset_start) / video_fps
    return ClipWindow(start, start + frame_final_duration / video_fps)


@dataclass(frozen=True)
class Retime:
    """Maps an imported key frame x to the scene frame where it belongs:
    target = strip_start + (x - origin) * scale, with `origin` the key of sample 0 and
    `scale` scene frames per imported frame (video fps / the fps the importer laid keys at)."""
    origin: float
    scale: float
    strip_start: float

    def frame(self, x: float) -> float:
        target = self.strip_start + (x - self.origin) * self.scale
        nearest = round(target)
        return float(nearest) if abs(target - nearest) < SNAP else target  # keep whole frames whole

    @property
    def shift_only(self) -> bool:
        """Keys keep their spacing: moving them by `shift` frames is the whole retime."""
        return self.scale == 1.0

    @property
    def shift(self) -> float:
        return self.strip_start - self.origin

    @property
    def is_identity(self) -> bool:
        """The importer already laid sample 0 on the strip's first frame, one key per frame."""
        return self.shift_only and self.shift == 0


SNAP = 1e-3  # a retimed key this close to a whole frame is put on it
SAME_SCALE = 1e-6  # rates this close give keys that drift < 0.1 frame over 100 000 frames: equal


def retime_for_import(first_key: float, keyed_fps: float, video_fps: float, strip_start: float) -> Retime:
    """Retime of keys an importer laid at `keyed_fps` frames per second (scale exactly 1.0 when the
    rates are equal, so that a shift, or nothing, is all the import needs)."""
    if keyed_fps <= 0 or video_fps <= 0:
        raise ValueError("frame rates must be positive")
    scale = video_fps / keyed_fps
    if abs(scale - 1.0) < SAME_SCALE:
        scale = 1.0
    return Retime(origin=first_key, scale=scale, strip_start=strip_start)


def fps_parts(fps: float) -> tuple[int, float]:
    """Scene (fps, fps_base) for a video rate: 24 -> (24, 1.0); 29.97 -> (30, 1.001)."""
    whole = max(1, round(fps))
    return whole, whole / fps


def same_rate(a: float, b: float, tolerance: float = 1e-3) -> bool:
    return abs(a - b) <= tolerance * max(a, b)
