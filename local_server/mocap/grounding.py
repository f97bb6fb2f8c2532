# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the rig's hips go: over the floor (lowest foot on Z=0) and moved so a planted foot stays put.

Rotations come from the tracked person but the rig has its own bone lengths, so the hips path is
rebuilt on the rig: the tracked hips' travel is scaled by the ratio of leg lengths, then corrected
while a foot is planted (slow and low in the tracked data) so that the rig's foot does not slide.
"""
from __future__ import annotations

import numpy as np

from .. import rig
from ..kinematics import forward_kinematics, quat_rotate
from ..motion import Motion
from . import pose_tracking as P
from .lifting import HIP_C
from .smoothing import gaussian_smooth

# Sole points relative to the foot bone's head (ankle), in the T-pose: heel, ball, toe tip.
_SOLE = np.array([[0.0, 0.03, -0.09], [0.0, -0.12, -0.07], [0.0, -0.19, -0.07]])


def _leg_length_rig() -> float:
    b = rig.BONES_BY_NAME
    return sum(float(np.linalg.norm(np.subtract(b[n].tail, b[n].head))) for n in ("LeftUpLeg", "LeftLeg"))


def sole_points(motion: Motion) -> np.ndarray:
    """(F, 2, 3, 3): for the left and right foot, heel/ball/toe world positions on the rig."""
    heads, _ = forward_kinematics(motion)
    idx = {n: i for i, n in enumerate(motion.bone_names)}
    out = []
    for side in ("Left", "Right"):
        i = idx[f"{side}Foot"]
        q = motion.rotations[:, i]
        pts = [heads[:, i] + quat_rotate(q, np.broadcast_to(p, (motion.frame_count, 3))) for p in _SOLE]
        out.append(np.stack(pts, axis=1))
    return np.stack(out, axis=1)


def planted(world: np.ndarray, fps: float, speed_limit: float = 0.35, height_limit: float = 0.06) -> np.ndarray:
    """(F, 2) bool: is the left/right foot planted? Slow (m/s) and near the lower foot's height."""
    feet = np.stack([(world[:, P.L_HEEL] + world[:, P.L_FOOT]) / 2, (world[:, P.R_HEEL] + world[:, P.R_FOOT]) / 2], 1)
    speed = np.zeros(feet.shape[:2])
    if feet.shape[0] > 1:
        v = np.gradient(feet, axis=0) * fps
        speed = gaussian_smooth(np.linalg.norm(v, axis=-1), 1.0)
    low = feet[..., 2] - feet[..., 2].min(axis=1, keepdims=True) < height_limit
    return (speed < speed_limit) & low


def _interpolate_corrections(corr: np.ndarray, have: np.ndarray) -> np.ndarray:
    t = np.arange(corr.shape[0])
    if not have.any():
        return np.zeros_like(corr)
    return np.stack([np.interp(t, t[have], corr[have, k]) for k in range(corr.shape[1])], axis=1)


def place_root(motion: Motion, world: np.ndarray, fps: float) -> dict:
    """Fill `motion.root_positions` in place from tracked world joints (F, 36, 3). Returns figures for metadata."""
    f = motion.frame_count
    leg_tracked = np.median(np.linalg.norm(world[:, P.L_KNEE] - world[:, P.L_HIP], axis=-1)
                            + np.linalg.norm(world[:, P.L_ANKLE] - world[:, P.L_KNEE], axis=-1))
    scale = _leg_length_rig() / max(leg_tracked, 1e-6)
    hips = world[:, HIP_C] * scale
    root = np.zeros((f, 3))
    root[:, :2] = hips[:, :2] - hips[0, :2]  # the take starts over the origin

    motion.root_positions = root.copy()
    soles = sole_points(motion)  # with the hips at floor level: heights are relative to the hips
    lowest = soles[..., 2].min(axis=(1, 2))
    root[:, 2] = gaussian_smooth(-lowest, 0.5)

    contact = planted(world * scale, fps)
    foot_xy = soles[:, :, :, :2].mean(axis=2)
    corr = np.zeros((f, 2))
    have = np.zeros(f, bool)
    for side in range(2):
        frames = np.flatnonzero(contact[:, side])
        if frames.size == 0:
            continue
        # contiguous runs of planted frames; each pins the foot where it was mid-run
        runs = np.split(frames, np.flatnonzero(np.diff(frames) > 1) + 1)
        for run in runs:
            anchor = foot_xy[run[len(run) // 2], side]
            delta = anchor - foot_xy[run, side]
            corr[run] = np.where(have[run, None], (corr[run] + delta) / 2, delta)
            have[run] = True
    corr = gaussian_smooth(_interpolate_corrections(corr, have), 1.0)
    root[:, :2] += corr
    motion.root_positions = root
    return {"plantedFrames": int(contact.any(axis=1).sum()), "bodyScale": round(float(1 / scale), 3)}
