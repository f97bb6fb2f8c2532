# SPDX-License-Identifier: GPL-3.0-or-later
"""Quaternions and forward kinematics for a `Motion` on Move's rig, in numpy (no bpy).

Quaternions are (w, x, y, z) arrays with any leading shape.
"""
from __future__ import annotations

import numpy as np

from .motion import Motion
from .rig import BONES_BY_NAME


def quat_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack([
        aw * bw - ax * bx - ay * by - az * bz,
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
    ], axis=-1)


def quat_conjugate(q: np.ndarray) -> np.ndarray:
    return q * np.array([1.0, -1.0, -1.0, -1.0])


def quat_rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vectors v (..., 3) by unit quaternions q (..., 4)."""
    w = q[..., :1]
    u = q[..., 1:]
    t = 2.0 * np.cross(u, v)
    return v + w * t + np.cross(u, t)


def quat_from_axis_angle(axis, angle) -> np.ndarray:
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
    half = np.asarray(angle, dtype=np.float64)[..., None] / 2.0
    return np.concatenate([np.cos(half), np.sin(half) * axis], axis=-1)


def forward_kinematics(motion: Motion) -> tuple[np.ndarray, np.ndarray]:
    """World positions of every bone's head and tail, each (F, B, 3), in `motion.bone_names` order.

    A bone's posed vector is its rest vector turned by its own armature-space rotation; a child's
    head follows its parent's head by the parent's rotation of the rest offset between them.
    """
    names = motion.bone_names
    index = {n: i for i, n in enumerate(names)}
    f = motion.frame_count
    heads = np.zeros((f, len(names), 3))
    tails = np.zeros((f, len(names), 3))
    for i, name in enumerate(names):
        bone = BONES_BY_NAME[name]
        rot = motion.rotations[:, i]
        if bone.parent is None or bone.parent not in index:
            heads[:, i] = motion.root_positions
        else:
            p = index[bone.parent]
            offset = np.subtract(bone.head, BONES_BY_NAME[bone.parent].head)
            heads[:, i] = heads[:, p] + quat_rotate(motion.rotations[:, p], np.broadcast_to(offset, (f, 3)))
        rest_vec = np.subtract(bone.tail, bone.head)
        tails[:, i] = heads[:, i] + quat_rotate(rot, np.broadcast_to(rest_vec, (f, 3)))
    return heads, tails
