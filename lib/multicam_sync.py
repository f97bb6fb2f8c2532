# SPDX-License-Identifier: GPL-3.0-or-later
"""Multicam sync: the offsets the timeline says (where the user put each strip) against the offsets
a job reports it used (its metadata's `sync`), in frames of each camera's own video.

Convention (as the local server writes it): camera v's video frame i + offset[v] shows what the
reference camera's frame i shows; the reference (the first source) has offset 0.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

TOLERANCE_FRAMES = 1.0  # closer than this is the same sync (a frame's rounding either way)


@dataclass(frozen=True)
class Disagreement:
    label: str
    timeline: float  # frames
    reported: float  # frames


def timeline_offset(reference_frame_start: float, frame_start: float) -> float:
    """The offset the timeline gives a strip against the reference strip: both show video frame 0
    at their `frame_start`, one video frame per scene frame, so the same scene frame holds the
    reference's frame k and this strip's frame k + (reference start - this start)."""
    return float(reference_frame_start) - float(frame_start)


def reported_offsets(sync_json: str, fps: dict[str, float]) -> dict[str, float]:
    """{device label: offset in that camera's frames} from a job's `sync` metadata (as JSON text);
    seconds win over frames (they do not depend on which rate the server counted in)."""
    try:
        sync = json.loads(sync_json or "{}")
    except ValueError:
        return {}
    offsets = sync.get("offsets") if isinstance(sync, dict) else None
    result: dict[str, float] = {}
    if not isinstance(offsets, dict):
        return result
    for label, value in offsets.items():
        if isinstance(value, dict):
            if isinstance(value.get("seconds"), (int, float)) and fps.get(label):
                result[label] = float(value["seconds"]) * fps[label]
            elif isinstance(value.get("frames"), (int, float)):
                result[label] = float(value["frames"])
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            result[label] = float(value)  # a bare number: frames
    return result


def disagreements(timeline: dict[str, float], reported: dict[str, float],
                  tolerance: float = TOLERANCE_FRAMES) -> list[Disagreement]:
    """Cameras whose reported offset is more than `tolerance` frames from the timeline's."""
    return [Disagreement(label, timeline[label], reported[label]) for label in timeline
            if label in reported and abs(timeline[label] - reported[label]) > tolerance]
