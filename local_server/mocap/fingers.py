# SPDX-License-Identifier: GPL-3.0-or-later
"""Finger bones from MediaPipe Hands: each finger segment's direction, carried from the hand model's
own palm frame into the rig's posed hand frame, gives a swing on top of the hand's rotation."""
from __future__ import annotations

import numpy as np

from .. import rig
from ..kinematics import quat_multiply, quat_rotate
from .pose_tracking import PoseTrack
from .retarget import CAMERA_TO_WORLD, _rest_dir, frame_matrix, swing
from .smoothing import fill_gaps, gaussian_smooth, sigma_for

# MediaPipe Hands landmark chains: wrist 0, thumb 1-4, index 5-8, middle 9-12, ring 13-16, pinky 17-20.
_CHAINS = {"Thumb": (1, 2, 3, 4), "Index": (5, 6, 7, 8), "Middle": (9, 10, 11, 12), "Ring": (13, 14, 15, 16),
           "Pinky": (17, 18, 19, 20)}


def finger_rotations(track: PoseTrack, body: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Armature-space rotations (F, 4) of the finger bones of each hand MediaPipe Hands saw at least once."""
    out: dict[str, np.ndarray] = {}
    for side_i, side in enumerate(("Left", "Right")):
        pts = track.hands_world[:, side_i]
        if not np.isfinite(pts[:, 0, 0]).any():
            continue
        pts = gaussian_smooth(fill_gaps(pts), sigma_for(track.fps, 0.03)) @ CAMERA_TO_WORLD.T
        model = frame_matrix(pts[:, 9] - pts[:, 0], pts[:, 5] - pts[:, 17])
        q_hand = body[f"{side}Hand"]
        rest_hand = frame_matrix(_rest_dir(f"{side}Hand"), np.array([0.0, -1.0, 0.0]))
        posed_hand = np.stack([quat_rotate(q_hand, np.broadcast_to(rest_hand[:, k], q_hand.shape[:-1] + (3,)))
                               for k in range(3)], axis=-1)
        to_rig = posed_hand @ np.swapaxes(model, -1, -2)  # hand-model world -> rig world, per frame
        for finger, chain in _CHAINS.items():
            for seg in range(3):
                name = f"{side}Hand{finger}{seg + 1}"
                d = np.einsum("fij,fj->fi", to_rig, pts[:, chain[seg + 1]] - pts[:, chain[seg]])
                rest_now = quat_rotate(q_hand, np.broadcast_to(_rest_dir(name), d.shape))
                out[name] = quat_multiply(swing(rest_now, d), q_hand)
    assert all(n in rig.BONES_BY_NAME for n in out)
    return out
