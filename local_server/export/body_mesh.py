# SPDX-License-Identifier: GPL-3.0-or-later
"""A low-poly body for Move's rig: one tapered hexagonal prism per body bone, each rigid to its bone.

Pure numpy; the Blender build step turns it into a mesh with one vertex group per bone, so the
figure shows in the viewport and in renders and follows the armature.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..rig import BODY_BONES

SIDES = 6
# Radius at the bone's head and tail, metres; a rough adult build, enough to read the pose.
_RADII = {
    "Hips": (0.12, 0.12), "Spine": (0.12, 0.13), "Spine1": (0.14, 0.12), "Neck": (0.05, 0.05),
    "Head": (0.08, 0.09), "Shoulder": (0.04, 0.05), "Arm": (0.05, 0.04), "ForeArm": (0.04, 0.035),
    "Hand": (0.035, 0.03), "UpLeg": (0.075, 0.055), "Leg": (0.05, 0.04), "Foot": (0.04, 0.035),
    "ToeBase": (0.03, 0.025),
}


@dataclass
class BodyMesh:
    vertices: np.ndarray  # (V, 3) rest positions, armature space
    faces: list[tuple[int, ...]]
    bone_of_vertex: list[str]  # rig bone name (no actor prefix) each vertex is bound to


def _radii(name: str) -> tuple[float, float]:
    return _RADII[name.replace("Left", "").replace("Right", "")]


def _frame(direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors perpendicular to `direction` and to each other."""
    helper = np.array([0.0, 0.0, 1.0]) if abs(direction[2]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u = np.cross(direction, helper)
    u /= np.linalg.norm(u)
    return u, np.cross(direction, u)


def build_body_mesh() -> BodyMesh:
    vertices: list[np.ndarray] = []
    faces: list[tuple[int, ...]] = []
    owners: list[str] = []
    angles = np.linspace(0.0, 2.0 * np.pi, SIDES, endpoint=False)
    for bone in BODY_BONES:
        head, tail = np.asarray(bone.head), np.asarray(bone.tail)
        axis = tail - head
        direction = axis / np.linalg.norm(axis)
        u, v = _frame(direction)
        r_head, r_tail = _radii(bone.name)
        ring = np.cos(angles)[:, None] * u + np.sin(angles)[:, None] * v
        base = len(vertices)
        vertices.extend(head + r_head * ring)
        vertices.extend(tail + r_tail * ring)
        # Caps stand a little beyond the joint so neighbouring pieces overlap instead of gapping.
        vertices.append(head - direction * r_head * 0.5)
        vertices.append(tail + direction * r_tail * 0.5)
        cap_head, cap_tail = base + 2 * SIDES, base + 2 * SIDES + 1
        for i in range(SIDES):
            j = (i + 1) % SIDES
            faces.append((base + i, base + j, base + SIDES + j, base + SIDES + i))
            faces.append((cap_head, base + j, base + i))
            faces.append((cap_tail, base + SIDES + i, base + SIDES + j))
        owners.extend([bone.name] * (2 * SIDES + 2))
    return BodyMesh(np.array(vertices), faces, owners)
