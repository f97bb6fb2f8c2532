# SPDX-License-Identifier: GPL-3.0-or-later
"""A Motion's body skeleton as joints and edges, and its orthographic projection to pixels."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kinematics import forward_kinematics
from ..motion import Motion
from ..rig import BODY_BONES, BONES_BY_NAME

LEFT_COLOR = (60, 140, 255)
RIGHT_COLOR = (255, 90, 60)
CENTRE_COLOR = (240, 240, 240)


@dataclass
class Skeleton:
    points: np.ndarray  # (F, J, 3) world positions, metres, Z up
    edges: list[tuple[int, int]]  # joint index pairs: each bone, plus links to parents it does not touch
    edge_colors: list[tuple[int, int, int]]  # left side blue, right side red, spine light grey


def body_skeleton(motion: Motion) -> Skeleton:
    """Each body bone the motion carries becomes an edge from its head joint to its tail joint.

    A bone that does not start at its parent's tail (legs on the pelvis, shoulders on the chest)
    gets one more edge from the nearer end of its parent, so the figure reads as one piece.
    """
    heads, tails = forward_kinematics(motion)
    body = {b.name for b in BODY_BONES}
    columns = [i for i, n in enumerate(motion.bone_names) if n in body]
    names = [motion.bone_names[i] for i in columns]
    points = np.concatenate([heads[:, columns], tails[:, columns]], axis=1)
    n = len(columns)
    where = {name: k for k, name in enumerate(names)}
    edges, colors = [], []
    for k, name in enumerate(names):
        color = LEFT_COLOR if name.startswith("Left") else RIGHT_COLOR if name.startswith("Right") else CENTRE_COLOR
        edges.append((k, n + k))
        colors.append(color)
        bone = BONES_BY_NAME[name]
        if bone.parent in where:
            parent = BONES_BY_NAME[bone.parent]
            if not np.allclose(bone.head, parent.tail):
                p = where[bone.parent]
                near_tail = np.linalg.norm(np.subtract(bone.head, parent.tail)) < np.linalg.norm(
                    np.subtract(bone.head, parent.head))
                edges.append((n + p if near_tail else p, k))
                colors.append(color)
    return Skeleton(points, edges, colors)


def fit_projection(points: np.ndarray, axes: tuple[int, int], width: int, height: int,
                   fill: float = 0.85, scale: float | None = None) -> tuple[float, np.ndarray]:
    """Scale (pixels per metre) and offset that fit every frame's points on `axes` into the frame centre.

    With `scale` given, only the offset is fitted (to show several views at one scale).
    """
    flat = points[..., list(axes)].reshape(-1, 2)
    lo, hi = flat.min(axis=0), flat.max(axis=0)
    if scale is None:
        span = np.maximum(hi - lo, 1e-6)
        scale = float(min(width * fill / span[0], height * fill / span[1]))
    centre = (lo + hi) / 2.0
    offset = np.array([width / 2.0, height / 2.0]) - scale * np.array([centre[0], -centre[1]])
    return scale, offset


def project(points: np.ndarray, axes: tuple[int, int], scale: float, offset: np.ndarray) -> np.ndarray:
    """(..., 3) world points to (..., 2) pixels; the second axis points up in the world, down in images."""
    return np.stack([points[..., axes[0]], -points[..., axes[1]]], axis=-1) * scale + offset
