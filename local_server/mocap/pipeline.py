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
    ground = place_root(motion, world, track.fps)
    found = track.found
    motion.metadata = {
        "processor": "mediapipe",
        "tracking": {
            "framesWithPerson": int(found.sum()),
            "frames": track.frame_count,
            "peopleAtStart": track.people_at_start,
            "followed": "the largest person at the start" if track.people_at_start > 1 else "the only person found",
            "cameraPitchDeg": round(pitch, 1),
            "focalPx": round(lifted.camera.focal, 1),
            "fingers": bool(track_fingers and track.hands_world is not None),
            "leftRightSwapsFixed": swaps,
            **ground,
        },
    }
    motion.validate()
    return motion, lifted


def capture_motion(video_path: Path, clip_window: tuple[float, float] | None = None, track_fingers: bool = False,
                   progress: Callable[[int, int], None] | None = None, camera: Camera | None = None) -> Capture:
    """Run the whole capture. Raises pose_tracking.NoPersonFound when MediaPipe finds nobody."""
    track = track_pose(video_path, clip_window, track_hands=track_fingers, progress=progress)
    motion, lifted = motion_from_track(track, camera, track_fingers)
    return Capture(motion, track, lifted)
