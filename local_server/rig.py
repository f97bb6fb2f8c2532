# SPDX-License-Identifier: GPL-3.0-or-later
"""Move's skeleton: bone names, hierarchy and T-pose rest positions shared by every processor.

Coordinates are Blender's: metres, Z up, the character faces -Y, its left is +X. Bone names
carry Move's actor prefix (`_1:Hips`); `bone_name()` adds it.
"""
from __future__ import annotations

from dataclasses import dataclass

ACTOR_PREFIX = "_{actor}:"


@dataclass(frozen=True)
class Bone:
    name: str  # without the actor prefix, e.g. "LeftForeArm"
    parent: str | None
    head: tuple[float, float, float]
    tail: tuple[float, float, float]


def bone_name(name: str, actor: int = 1) -> str:
    return ACTOR_PREFIX.format(actor=actor) + name


def _mirror(bones: list[Bone]) -> list[Bone]:
    """Right-side bones from left-side ones (X mirrored)."""
    def flip(name: str | None) -> str | None:
        return name.replace("Left", "Right") if name else name

    return [
        Bone(flip(b.name), flip(b.parent), (-b.head[0], b.head[1], b.head[2]), (-b.tail[0], b.tail[1], b.tail[2]))
        for b in bones
    ]


_SPINE = [
    Bone("Hips", None, (0.0, 0.0, 0.95), (0.0, 0.0, 1.05)),
    Bone("Spine", "Hips", (0.0, 0.0, 1.05), (0.0, 0.0, 1.20)),
    Bone("Spine1", "Spine", (0.0, 0.0, 1.20), (0.0, 0.0, 1.42)),
    Bone("Neck", "Spine1", (0.0, 0.0, 1.42), (0.0, 0.0, 1.54)),
    Bone("Head", "Neck", (0.0, 0.0, 1.54), (0.0, 0.0, 1.74)),
]

_LEFT_ARM = [
    Bone("LeftShoulder", "Spine1", (0.03, 0.0, 1.39), (0.17, 0.0, 1.40)),
    Bone("LeftArm", "LeftShoulder", (0.17, 0.0, 1.40), (0.45, 0.0, 1.40)),
    Bone("LeftForeArm", "LeftArm", (0.45, 0.0, 1.40), (0.71, 0.0, 1.40)),
    Bone("LeftHand", "LeftForeArm", (0.71, 0.0, 1.40), (0.79, 0.0, 1.40)),
]


def _fingers() -> list[Bone]:
    bones: list[Bone] = []
    # Thumb points forward (-Y) and out; the four fingers fan along +X from the palm.
    thumb = [(0.73, -0.025, 1.39), (0.755, -0.05, 1.385), (0.775, -0.065, 1.38), (0.79, -0.075, 1.378)]
    for i in range(3):
        parent = "LeftHand" if i == 0 else f"LeftHandThumb{i}"
        bones.append(Bone(f"LeftHandThumb{i + 1}", parent, thumb[i], thumb[i + 1]))
    for finger, y in (("Index", -0.03), ("Middle", -0.01), ("Ring", 0.01), ("Pinky", 0.03)):
        length = 0.035 if finger != "Pinky" else 0.025
        x = 0.79
        for i in range(3):
            parent = "LeftHand" if i == 0 else f"LeftHand{finger}{i}"
            bones.append(Bone(f"LeftHand{finger}{i + 1}", parent, (x, y, 1.40), (x + length, y, 1.40)))
            x += length
    return bones


_LEFT_LEG = [
    Bone("LeftUpLeg", "Hips", (0.09, 0.0, 0.95), (0.09, 0.0, 0.52)),
    Bone("LeftLeg", "LeftUpLeg", (0.09, 0.0, 0.52), (0.09, 0.0, 0.09)),
    Bone("LeftFoot", "LeftLeg", (0.09, 0.0, 0.09), (0.09, -0.12, 0.02)),
    Bone("LeftToeBase", "LeftFoot", (0.09, -0.12, 0.02), (0.09, -0.19, 0.02)),
]

_LEFT_BODY = _LEFT_ARM + _LEFT_LEG
_LEFT_FINGERS = _fingers()

#: Body bones in parent-before-child order (no fingers).
BODY_BONES: list[Bone] = _SPINE + _LEFT_BODY + _mirror(_LEFT_BODY)
#: Finger bones, left then right, parent-before-child.
FINGER_BONES: list[Bone] = _LEFT_FINGERS + _mirror(_LEFT_FINGERS)
#: The whole rig, parent-before-child.
MOVE_BONES: list[Bone] = BODY_BONES + FINGER_BONES

BONES_BY_NAME = {b.name: b for b in MOVE_BONES}
ROOT = "Hips"
