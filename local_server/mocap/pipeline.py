# SPDX-License-Identifier: GPL-3.0-or-later
"""Video -> MediaPipe landmarks -> 3D joints -> a `Motion` on Move's rig, in one call."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .. import rig
from ..motion import Motion
from . import fingers
from .grounding import place_root
from .smoothing import fill_gaps
from .lifting import Camera, Lifted, lift
from .pose_tracking import PoseTrack, track_pose
from .retarget import rig_rotations, to_world
from .sides import fix_swaps


@dataclass
class Capture:
    motion: Motion
    track: PoseTrack  # what MediaPipe saw (2D points drive the overlay)
    lifted: Lifted  # camera-space 3D joints


def motion_from_track(track: PoseTrack, camera: Camera | None = None, track_fingers: bool = False) -> tuple[Motion, Lifted]:
    track, swaps = fix_swaps(track)
    lifted = lift(track, camera)
    world, pitch = to_world(lifted.joints)
    rotations = rig_rotations(world)
    if track_fingers and track.hands_world is not None:
        rotations.update(fingers.finger_rotations(track, rotations))
    names = [b.name for b in rig.MOVE_BONES]
    motion = Motion(
        fps=track.fps,
        bone_names=names,
        root_positions=np.zeros((track.frame_count, 3)),
        rotations=np.stack([rotations[n] for n in names], axis=1),
        start_time=track.start_frame / track.fps,
    )
    ground = place_root(motion, world, track.fps, fill_gaps(track.image_xy))
    motion.metadata = {
        "processor": "mediapipe",
        "tracking": {
            **following_report(track),
            "cameraPitchDeg": round(pitch, 1),
            "focalPx": round(lifted.camera.focal, 1),
            "fingers": bool(track_fingers and track.hands_world is not None),
            "leftRightSwapsFixed": swaps,
            **ground,
        },
    }
    motion.validate()
    return motion, lifted


def following_report(track: PoseTrack) -> dict:
    """What the job's metadata says about who was followed and where they were lost."""
    found = track.found
    lost = ~found
    seen = np.flatnonzero(found)
    inside = np.zeros_like(found)
    if seen.size:
        inside[seen[0]:seen[-1] + 1] = True
    edges = np.flatnonzero(np.diff(np.concatenate([[0], lost.astype(int), [0]])))
    ranges = [[int(a) + track.start_frame, int(b) - 1 + track.start_frame] for a, b in zip(edges[::2], edges[1::2])]
    report = {
        "framesWithPerson": int(found.sum()),
        "frames": track.frame_count,
        "peopleAtStart": track.people_at_start,
        "peopleSeen": track.people_seen,
        "followed": "the largest person at the start" if track.people_at_start > 1 else "the only person at the start",
        "framesLost": int(lost.sum()),
        "framesBridged": int((lost & inside).sum()),  # interpolated between frames with the actor
        "framesHeld": int((lost & ~inside).sum()),  # before the first or after the last: the pose is held
        "lostRanges": ranges[:20],  # video frame numbers, first and last of each run
        "detectionsRefused": track.others_rejected,  # MediaPipe's detections that did not continue the actor
    }
    if track.people_seen > 1:
        report["warning"] = (f"{track.people_seen} people were in view; only the actor (the largest person at the "
                             "start) was captured" + (f", and {int(lost.sum())} frames without them were bridged"
                                                       if lost.any() else "") + ".")
    return report


def capture_motion(video_path: Path, clip_window: tuple[float, float] | None = None, track_fingers: bool = False,
                   progress: Callable[[int, int], None] | None = None, camera: Camera | None = None) -> Capture:
    """Run the whole capture. Raises pose_tracking.NoPersonFound when MediaPipe finds nobody."""
    track = track_pose(video_path, clip_window, track_hands=track_fingers, progress=progress)
    motion, lifted = motion_from_track(track, camera, track_fingers)
    return Capture(motion, track, lifted)
