# SPDX-License-Identifier: GPL-3.0-or-later
"""From a Motion's armature-space deltas to Blender pose-bone keys (numpy only, no bpy).

A Motion gives each bone's rotation R_b from its T-pose rest in armature space. Blender keys a
pose bone in its parent's frame and its own rest frame, so the basis is
basis_b = rest_b^-1 · (R_parent^-1 · R_b) · rest_b, with rest_b the bone's rest orientation.
"""
from __future__ import annotations

import math

import numpy as np

from ..kinematics import quat_conjugate, quat_multiply, quat_rotate
from ..motion import Motion
from ..rig import BONES_BY_NAME, Bone

IDENTITY = np.array([1.0, 0.0, 0.0, 0.0])


def normalized(q: np.ndarray) -> np.ndarray:
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def armature_rotations(motion: Motion, bones: list[Bone]) -> np.ndarray:
    """(F, len(bones), 4) armature-space rotations for `bones` (parent before child).

    A bone the motion does not carry (fingers when they were not tracked) keeps its rest pose
    relative to its parent, so it takes its parent's rotation (identity for the root).
    """
    index = {n: i for i, n in enumerate(motion.bone_names)}
    out = np.empty((motion.frame_count, len(bones), 4))
    position = {}
    for j, bone in enumerate(bones):
        if bone.name in index:
            out[:, j] = normalized(np.asarray(motion.rotations[:, index[bone.name]], dtype=np.float64))
        elif bone.parent in position:
            out[:, j] = out[:, position[bone.parent]]
        else:
            out[:, j] = IDENTITY
        position[bone.name] = j
    return out


def local_rotations(rotations: np.ndarray, bones: list[Bone]) -> np.ndarray:
    """Each bone's rotation relative to its parent, R_parent^-1 · R_b, still on armature axes."""
    position = {b.name: j for j, b in enumerate(bones)}
    local = rotations.copy()
    for j, bone in enumerate(bones):
        if bone.parent in position:
            local[:, j] = quat_multiply(quat_conjugate(rotations[:, position[bone.parent]]), rotations[:, j])
    return local


def make_continuous(q: np.ndarray) -> np.ndarray:
    """Flip signs along the frame axis (axis 0) so consecutive keys never interpolate the long way."""
    q = q.copy()
    for f in range(1, q.shape[0]):
        flip = np.sum(q[f] * q[f - 1], axis=-1) < 0
        q[f][flip] *= -1
    return q


def pose_basis(motion: Motion, bones: list[Bone], rest_quats: np.ndarray) -> np.ndarray:
    """(F, B, 4) pose-bone rotation_quaternion keys for `bones`, given their rest orientations (B, 4)."""
    local = local_rotations(armature_rotations(motion, bones), bones)
    rest = np.broadcast_to(rest_quats, local.shape)
    basis = quat_multiply(quat_conjugate(rest), quat_multiply(local, rest))
    return make_continuous(normalized(basis))


def root_location(motion: Motion, rest_quat: np.ndarray) -> np.ndarray:
    """(F, 3) pose location keys of the root bone: the hips offset from rest, in the bone's rest frame."""
    rest_head = np.asarray(BONES_BY_NAME["Hips"].head)
    offset = np.asarray(motion.root_positions, dtype=np.float64) - rest_head
    return quat_rotate(np.broadcast_to(quat_conjugate(rest_quat), (offset.shape[0], 4)), offset)


def scene_rate(fps: float) -> tuple[int, float]:
    """Blender's (fps, fps_base) for a frame rate: 29.97 -> (30, 1.001)."""
    whole = max(1, int(math.floor(fps + 0.5)))
    return whole, whole / fps
