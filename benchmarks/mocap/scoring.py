# SPDX-License-Identifier: GPL-3.0-or-later
"""How far a monocular capture is from a 3D reference: joint angles, limb directions, left/right
swaps, foot slide. Every function takes joints as {name: (F, 3)} with the twelve names of JOINTS."""
from __future__ import annotations

import numpy as np

from local_server import rig
from local_server.kinematics import forward_kinematics
from local_server.mocap import pose_tracking as P
from local_server.mocap.lifting import joint_angle

SIDES = ("Left", "Right")
PARTS = ("Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle")
JOINTS = [f"{s}{p}" for s in SIDES for p in PARTS]
ANGLES = ["LeftElbow", "RightElbow", "LeftKnee", "RightKnee", "LeftShoulder", "RightShoulder", "LeftHip", "RightHip"]
LIMBS = {s: [(f"{s}Shoulder", f"{s}Elbow"), (f"{s}Elbow", f"{s}Wrist")] for s in SIDES}
LEGS = {s: [(f"{s}Hip", f"{s}Knee"), (f"{s}Knee", f"{s}Ankle")] for s in SIDES}
SEGMENTS = [seg for s in SIDES for seg in LIMBS[s] + LEGS[s]]
#: Move bone whose head sits at each joint.
RIG_BONE = {f"{s}{p}": f"{s}{b}" for s in SIDES for p, b in
            (("Shoulder", "Arm"), ("Elbow", "ForeArm"), ("Wrist", "Hand"), ("Hip", "UpLeg"), ("Knee", "Leg"),
             ("Ankle", "Foot"))}


def from_mediapipe(points: np.ndarray) -> dict:
    """(F, 33, 3) MediaPipe-ordered points -> joints."""
    return {f"{s}{p}": points[:, getattr(P, f"{s[0]}_{p.upper()}")] for s in SIDES for p in PARTS}


def from_motion(motion) -> dict:
    """The rig's joints (bone heads, Blender world axes, root motion included) of a Motion."""
    heads, _ = forward_kinematics(motion)
    idx = {n: i for i, n in enumerate(motion.bone_names)}
    return {j: heads[:, idx[b]] for j, b in RIG_BONE.items()}


def angles(j: dict) -> dict:
    out = {}
    for s in SIDES:
        out[f"{s}Elbow"] = joint_angle(j[f"{s}Shoulder"], j[f"{s}Elbow"], j[f"{s}Wrist"])
        out[f"{s}Knee"] = joint_angle(j[f"{s}Hip"], j[f"{s}Knee"], j[f"{s}Ankle"])
        out[f"{s}Shoulder"] = joint_angle(j[f"{s}Elbow"], j[f"{s}Shoulder"], j[f"{s}Hip"])
        out[f"{s}Hip"] = joint_angle(j[f"{s}Knee"], j[f"{s}Hip"], j[f"{s}Shoulder"])
    return out


def _unit(v):
    return v / (np.linalg.norm(v, axis=-1, keepdims=True) + 1e-12)


def _directions(j: dict) -> np.ndarray:
    """(F, S, 3) unit vectors of the limb segments, then the shoulder and hip lines and the spine."""
    segs = [j[b] - j[a] for a, b in SEGMENTS]
    segs += [j["LeftShoulder"] - j["RightShoulder"], j["LeftHip"] - j["RightHip"],
             (j["LeftShoulder"] + j["RightShoulder"]) / 2 - (j["LeftHip"] + j["RightHip"]) / 2]
    return _unit(np.stack(segs, axis=1))


def best_rotation(est: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """One rotation (Kabsch) taking est directions onto ref over the whole clip: the capture's axes
    are its own (camera or rig), so one turn per clip is allowed, never one per frame."""
    ok = np.isfinite(est).all(-1) & np.isfinite(ref).all(-1)
    H = est[ok].T @ ref[ok]
    U, _, Vt = np.linalg.svd(H)
    d = np.sign(np.linalg.det(Vt.T @ U.T))
    return Vt.T @ np.diag([1, 1, d]) @ U.T


def _angle_between(a, b):
    return np.degrees(np.arccos(np.clip(np.sum(a * b, axis=-1), -1, 1)))


def score(est: dict, ref: dict, frames: np.ndarray | None = None) -> dict:
    """Angle error per joint and overall (deg), limb-direction error (deg), and the share of frames
    with a left/right swap (an arm or leg closer to the other side's reference by 30 deg or more, or
    the hips' left-right line turned more than 90 deg). `frames`: bool mask of frames to score."""
    n = len(next(iter(ref.values())))
    frames = np.ones(n, bool) if frames is None else frames
    frames = frames & np.all([np.isfinite(ref[k]).all(-1) & np.isfinite(est[k]).all(-1) for k in JOINTS], axis=0)
    e = {k: v[frames] for k, v in est.items()}
    r = {k: v[frames] for k, v in ref.items()}
    ae, ar = angles(e), angles(r)
    per_joint = {k: float(np.mean(np.abs(ae[k] - ar[k]))) for k in ANGLES}
    de, dr = _directions(e), _directions(r)
    rot = best_rotation(de.reshape(-1, 3), dr.reshape(-1, 3))
    de = de @ rot.T
    limb_err = _angle_between(de[:, :len(SEGMENTS)], dr[:, :len(SEGMENTS)])
    swapped = _angle_between(de[:, len(SEGMENTS) + 1], dr[:, len(SEGMENTS) + 1]) > 90
    k = len(SEGMENTS) // 2  # left segments first, then right
    for first in (0, 2):  # arms (segments 0-1 of each side), legs (2-3)
        idx_l = [first, first + 1]
        idx_r = [k + first, k + first + 1]
        kept = limb_err[:, idx_l + idx_r].mean(axis=1)
        crossed = np.concatenate([_angle_between(de[:, idx_l], dr[:, idx_r]),
                                  _angle_between(de[:, idx_r], dr[:, idx_l])], axis=1).mean(axis=1)
        swapped |= crossed < kept - 30
    return {"angle": float(np.mean(list(per_joint.values()))), "per_joint": per_joint,
            "limb_dir": float(limb_err.mean()), "swap_pct": float(100 * swapped.mean()), "frames": int(frames.sum())}


def contacts(feet: np.ndarray, fps: float, speed: float = 0.25, height: float = 0.06, up: int = 2) -> np.ndarray:
    """(F, 2) bool: a foot (F, 2, 3 world metres, `up` axis) is in contact when slow and near its
    lowest height in the clip."""
    from local_server.mocap.smoothing import gaussian_smooth

    v = np.linalg.norm(np.gradient(gaussian_smooth(feet, fps * 0.03), axis=0), axis=-1) * fps
    low = feet[..., up] - np.nanpercentile(feet[..., up], 5, axis=0) < height
    return (v < speed) & low


def foot_slide(feet: np.ndarray, contact: np.ndarray, fps: float, up: int = 2) -> float:
    """Median horizontal speed (cm/s) of the feet (F, 2, 3) over the contact frames, after a 50 ms
    Gaussian (so frame-to-frame jitter of a 60 fps reference does not pass for sliding)."""
    from local_server.mocap.smoothing import gaussian_smooth

    flat = gaussian_smooth(np.delete(feet, up, axis=-1), fps * 0.05)
    v = np.linalg.norm(np.gradient(flat, axis=0), axis=-1) * fps * 100
    v = v[contact]
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else float("nan")
