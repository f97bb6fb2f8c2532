# SPDX-License-Identifier: GPL-3.0-or-later
"""From 3D joints to Move's rig: armature-space delta rotations from the T-pose of `rig.py`.

Each bone gets the rotation that carries a frame built from its rest pose (the bone's direction
plus a second, well-defined direction such as the elbow's hinge axis) onto the same frame built
from the tracked joints, so twist is defined as well as swing.
"""
from __future__ import annotations

import numpy as np

from .. import rig
from ..kinematics import quat_multiply, quat_conjugate
from . import pose_tracking as P
from .lifting import EAR_C, HIP_C, SHOULDER_C

# Camera axes (x right, y down, z away) -> Blender world axes (X right, Y away, Z up): the person
# facing the camera faces -Y, as the rig's T-pose does.
CAMERA_TO_WORLD = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v, axis=-1, keepdims=True) + 1e-12)


def to_world(joints_cam: np.ndarray, max_tilt_deg: float = 35.0) -> tuple[np.ndarray, float]:
    """Camera-space joints in Blender's axes, with the camera's pitch undone so the body's mean
    'up' (ankles to shoulders) is +Z. Returns (joints, pitch in degrees)."""
    w = joints_cam @ CAMERA_TO_WORLD.T
    up = _unit(w[:, SHOULDER_C] - (w[:, P.L_ANKLE] + w[:, P.R_ANKLE]) / 2).mean(axis=0)
    pitch = np.arctan2(up[1], up[2])  # lean of 'up' toward +Y (away from camera)
    pitch = float(np.clip(pitch, -np.radians(max_tilt_deg), np.radians(max_tilt_deg)))
    c, s = np.cos(pitch), np.sin(pitch)
    rot_x = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])  # turns 'up' back onto +Z
    return w @ rot_x.T, float(np.degrees(pitch))


def frame_matrix(primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """Orthonormal frames (..., 3, 3) whose columns are primary, secondary made orthogonal, and their cross."""
    e1 = _unit(primary)
    e2 = _unit(secondary - np.sum(secondary * e1, axis=-1, keepdims=True) * e1)
    e3 = np.cross(e1, e2)
    return np.stack([e1, e2, e3], axis=-1)


def matrix_to_quat(m: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) -> unit quaternions (..., 4) (w, x, y, z), w >= 0."""
    shape = m.shape[:-2]
    m = m.reshape(-1, 3, 3)
    t = np.trace(m, axis1=1, axis2=2)
    q = np.empty((m.shape[0], 4))
    cands = np.stack([t, m[:, 0, 0], m[:, 1, 1], m[:, 2, 2]], axis=1)
    pick = np.argmax(cands, axis=1)
    for k in range(4):
        sel = pick == k
        if not sel.any():
            continue
        mm = m[sel]
        if k == 0:
            s = np.sqrt(1.0 + t[sel]) * 2
            q[sel] = np.stack([0.25 * s, (mm[:, 2, 1] - mm[:, 1, 2]) / s, (mm[:, 0, 2] - mm[:, 2, 0]) / s,
                               (mm[:, 1, 0] - mm[:, 0, 1]) / s], axis=1)
        else:
            i = k - 1
            j, kk = (i + 1) % 3, (i + 2) % 3
            s = np.sqrt(1.0 + mm[:, i, i] - mm[:, j, j] - mm[:, kk, kk]) * 2
            qq = np.empty((mm.shape[0], 4))
            qq[:, 0] = (mm[:, kk, j] - mm[:, j, kk]) / s
            qq[:, 1 + i] = 0.25 * s
            qq[:, 1 + j] = (mm[:, j, i] + mm[:, i, j]) / s
            qq[:, 1 + kk] = (mm[:, kk, i] + mm[:, i, kk]) / s
            q[sel] = qq
    q *= np.where(q[:, :1] < 0, -1.0, 1.0)
    return _unit(q).reshape(shape + (4,))


def rotation_between_frames(rest_primary, rest_secondary, primary, secondary) -> np.ndarray:
    """Quaternions turning the rest frame onto the posed frame (per row)."""
    rest = frame_matrix(np.asarray(rest_primary, float), np.asarray(rest_secondary, float))
    posed = frame_matrix(primary, secondary)
    return matrix_to_quat(posed @ np.swapaxes(rest, -1, -2))


def swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Shortest-arc quaternions turning directions a onto b."""
    a, b = _unit(np.broadcast_to(a, b.shape).astype(float)), _unit(b)
    w = 1.0 + np.sum(a * b, axis=-1, keepdims=True)
    xyz = np.cross(a, b)
    opposite = w[..., 0] < 1e-6
    if np.any(opposite):  # 180 degrees: any axis perpendicular to a
        perp = np.cross(a, np.array([0.0, 0.0, 1.0]))
        perp = np.where(np.linalg.norm(perp, axis=-1, keepdims=True) < 1e-6, np.cross(a, [1.0, 0.0, 0.0]), perp)
        xyz = np.where(opposite[..., None], perp, xyz)
    return _unit(np.concatenate([w, xyz], axis=-1))


def slerp(q0: np.ndarray, q1: np.ndarray, t: float) -> np.ndarray:
    dot = np.sum(q0 * q1, axis=-1, keepdims=True)
    q1 = np.where(dot < 0, -q1, q1)
    dot = np.abs(dot)
    ang = np.arccos(np.clip(dot, -1.0, 1.0))
    s = np.sin(ang)
    small = s < 1e-6
    a = np.where(small, 1 - t, np.sin((1 - t) * ang) / np.where(small, 1, s))
    b = np.where(small, t, np.sin(t * ang) / np.where(small, 1, s))
    return _unit(a * q0 + b * q1)


def _rest_dir(name: str) -> np.ndarray:
    b = rig.BONES_BY_NAME[name]
    return _unit(np.subtract(b.tail, b.head))


def _rotate(q, v):
    from ..kinematics import quat_rotate

    return quat_rotate(q, np.broadcast_to(v, q.shape[:-1] + (3,)))


def _hinged_pair(upper_name, lower_name, root, mid, end, rest_bend, fallback_bend=None):
    """Rotations for a two-bone limb (arm/forearm, thigh/shin) that share one hinge axis.

    The hinge is the normal of the plane the limb bends in; when the limb is nearly straight that
    plane is undefined, so the bend direction falls back to `fallback_bend` (e.g. the foot's
    pointing for a knee) or, failing that, to the shortest swing of the rest bend direction.
    """
    upper, lower = mid - root, end - mid
    rest_dir = _rest_dir(upper_name)
    rest_normal = _unit(np.cross(rest_dir, rest_bend))
    normal = np.cross(_unit(upper), _unit(lower))
    bend = np.linalg.norm(normal, axis=-1, keepdims=True)  # sin of the joint's bend
    if fallback_bend is not None:
        fb = np.cross(_unit(upper), _unit(fallback_bend))
    else:
        fb = _rotate(swing(rest_dir, upper), rest_normal)
    fb = _unit(fb)
    weight = np.clip(bend / np.sin(np.radians(25.0)), 0.0, 1.0)
    mixed = weight * _unit(normal) + (1 - weight) * fb
    q_upper = rotation_between_frames(rest_dir, rest_normal, upper, mixed)
    q_lower = rotation_between_frames(_rest_dir(lower_name), rest_normal, lower, mixed)
    return q_upper, q_lower


def rig_rotations(j: np.ndarray) -> dict[str, np.ndarray]:
    """Armature-space delta rotations (F, 4) for every bone of `rig.MOVE_BONES`, from world joints (F, 36, 3)."""
    x, y, z = np.eye(3)
    rot: dict[str, np.ndarray] = {}
    hip_line = j[:, P.L_HIP] - j[:, P.R_HIP]
    shoulder_line = j[:, P.L_SHOULDER] - j[:, P.R_SHOULDER]
    trunk = j[:, SHOULDER_C] - j[:, HIP_C]
    rot["Hips"] = rotation_between_frames(x, z, hip_line, trunk)
    rot["Spine1"] = rotation_between_frames(x, z, shoulder_line, trunk)
    rot["Spine"] = slerp(rot["Hips"], rot["Spine1"], 0.5)
    ear_line = j[:, P.L_EAR] - j[:, P.R_EAR]
    face = j[:, P.NOSE] - j[:, EAR_C]
    rot["Head"] = rotation_between_frames(x, np.array([0.0, -1.0, -0.25]), ear_line, face)
    rot["Neck"] = slerp(rot["Spine1"], rot["Head"], 0.5)

    for side, s in (("Left", "L"), ("Right", "R")):
        L = lambda n: getattr(P, f"{s}_{n}")  # noqa: E731 - a landmark index of this side
        rot[f"{side}Shoulder"] = rot["Spine1"]
        rot[f"{side}Arm"], rot[f"{side}ForeArm"] = _hinged_pair(
            f"{side}Arm", f"{side}ForeArm", j[:, L("SHOULDER")], j[:, L("ELBOW")], j[:, L("WRIST")], -y)
        hand_dir = (j[:, L("INDEX")] + j[:, L("PINKY")]) / 2 - j[:, L("WRIST")]
        across = j[:, L("INDEX")] - j[:, L("PINKY")]
        rot[f"{side}Hand"] = rotation_between_frames(_rest_dir(f"{side}Hand"), -y, hand_dir, across)
        toe_dir = j[:, L("FOOT")] - j[:, L("HEEL")]
        rot[f"{side}UpLeg"], rot[f"{side}Leg"] = _hinged_pair(
            f"{side}UpLeg", f"{side}Leg", j[:, L("HIP")], j[:, L("KNEE")], j[:, L("ANKLE")], y, fallback_bend=-toe_dir)
        shin_up = j[:, L("KNEE")] - j[:, L("ANKLE")]
        rot[f"{side}Foot"] = rotation_between_frames(-y, z, toe_dir, shin_up)
        rot[f"{side}ToeBase"] = rot[f"{side}Foot"]
    for bone in rig.FINGER_BONES:  # without finger tracking the fingers ride rigidly on the hand
        rot[bone.name] = rot["LeftHand" if bone.name.startswith("Left") else "RightHand"]
    return rot


def relative(q_parent: np.ndarray, q_child: np.ndarray) -> np.ndarray:
    """The child's rotation relative to its parent's (both armature-space deltas)."""
    return quat_multiply(quat_conjugate(q_parent), q_child)
