# SPDX-License-Identifier: GPL-3.0-or-later
"""Forward kinematics of a Blender armature in numpy: pose matrices from rest matrices and bases.

Blender's rule for a bone that inherits rotation and scale: pose = parent_pose @ parent_rest^-1 @
rest @ basis, all in armature space (bone.matrix_local is the rest matrix).
"""
from __future__ import annotations

import numpy as np

from .rotations import affine_inverse, axis_angle_to_matrix, euler_to_matrix, quat_to_matrix


def basis_matrices(location: np.ndarray, rotation: np.ndarray, scale: np.ndarray, mode: str) -> np.ndarray:
    """(frames, 4, 4) matrix_basis from per-frame location, rotation (in `mode`'s channels) and scale."""
    if mode == "QUATERNION":
        r = quat_to_matrix(rotation)
    elif mode == "AXIS_ANGLE":
        r = axis_angle_to_matrix(rotation[..., 1:], rotation[..., 0])
    else:
        r = euler_to_matrix(rotation, mode)
    m = np.broadcast_to(np.eye(4), r.shape[:-2] + (4, 4)).copy()
    m[..., :3, :3] = r * scale[..., None, :]
    m[..., :3, 3] = location
    return m


def forward_kinematics(rest: np.ndarray, parents: list[int], basis: np.ndarray) -> np.ndarray:
    """Armature-space pose matrices (frames, bones, 4, 4); bones are ordered parent first."""
    pose = np.empty_like(basis)
    parent_idx = np.array(parents)
    # each bone's rest relative to its parent's rest, all at once (roots: relative to the armature)
    rel = np.where((parent_idx < 0)[:, None, None], rest, affine_inverse(rest[parent_idx]) @ rest)
    local = rel[None] @ basis
    for i, p in enumerate(parents):
        pose[:, i] = local[:, i] if p < 0 else pose[:, p] @ local[:, i]
    return pose


def rest_matrix(head, tail, roll_axis=(0.0, 0.0, 1.0)) -> np.ndarray:
    """A rest matrix (4x4) for a bone from head to tail, its Z axis as near `roll_axis` as it can be
    (for building test skeletons; Blender's own rolls come from the armature)."""
    head, tail = np.asarray(head, float), np.asarray(tail, float)
    y = tail - head
    y = y / np.linalg.norm(y)
    z = np.asarray(roll_axis, float) - np.dot(roll_axis, y) * y
    if np.linalg.norm(z) < 1e-6:
        z = np.array([0.0, 1.0, 0.0]) - y[1] * y
    z = z / np.linalg.norm(z)
    x = np.cross(y, z)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = x, y, z, head
    return m
