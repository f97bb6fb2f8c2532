# SPDX-License-Identifier: GPL-3.0-or-later
"""Foot lock: find where the source's feet are planted, keep the target's feet there, and bend its
legs to reach them with an analytic two-bone IK (no constraint is left on the rig).

A foot is planted while its ankle is within `height` of the lowest it gets in the clip and moves
slower than `speed`, both as fractions of the source's leg length (so they hold at any scale). The
thresholds were set from what a standing foot is (a few cm of tracking jitter, well under a walking
foot's speed), not fitted to any clip.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .rotations import normalize, swing


@dataclass(frozen=True)
class LockSettings:
    height: float = 0.06  # x leg length above the foot's lowest point in the clip
    speed: float = 0.35  # x leg length per second
    min_frames: int = 3
    blend_frames: int = 4  # frames after a contact over which the foot returns to the animation


@dataclass(frozen=True)
class Contact:
    side: str  # "L" or "R"
    start: int  # first frame index of the contact
    end: int  # last frame index, inclusive


def planted(positions: np.ndarray, fps: float, leg: float, settings: LockSettings) -> np.ndarray:
    """Per frame: is this ankle (frames x 3, metres, Z up) planted?"""
    height = positions[:, 2] - positions[:, 2].min()
    step = np.linalg.norm(np.diff(positions, axis=0), axis=1) * fps
    speed = np.concatenate([step[:1], np.maximum(step[:-1], step[1:]), step[-1:]]) if len(step) else np.zeros(1)
    return (height <= settings.height * leg) & (speed[:len(positions)] <= settings.speed * leg)


def runs(mask: np.ndarray, min_frames: int) -> list[tuple[int, int]]:
    out, start = [], None
    for i, on in enumerate(list(mask) + [False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            if i - start >= min_frames:
                out.append((start, i - 1))
            start = None
    return out


def find_contacts(source, by_role: dict, settings: LockSettings) -> list[Contact]:
    found = []
    for side in "LR":
        roles = [f"thigh.{side}", f"shin.{side}", f"foot.{side}"]
        if not all(r in by_role for r in roles):
            continue
        idx = [source.index(by_role[r].source) for r in roles]
        rest = source.rest_world[idx, :3, 3]
        leg = float(np.linalg.norm(rest[1] - rest[0]) + np.linalg.norm(rest[2] - rest[1]))
        ankle = source.world[:, idx[2], :3, 3]
        for a, b in runs(planted(ankle, source.fps, leg, settings), settings.min_frames):
            found.append(Contact(side, a, b))
    return found


def two_bone_ik(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, goal: np.ndarray,
                forward: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """New knee and ankle positions (frames x 3) with the ankle on `goal` where the leg reaches it,
    thigh and shin lengths kept, the knee staying on the side it bends to (else `forward`)."""
    l1 = np.linalg.norm(knee - hip, axis=1)
    l2 = np.linalg.norm(ankle - knee, axis=1)
    to_goal = goal - hip
    dist = np.linalg.norm(to_goal, axis=1)
    u = normalize(to_goal)
    d = np.clip(dist, np.abs(l1 - l2) + 1e-6, l1 + l2 - 1e-6)
    cos_a = np.clip((l1 ** 2 + d ** 2 - l2 ** 2) / (2 * l1 * d), -1.0, 1.0)
    bend = knee - hip
    v = bend - np.sum(bend * u, 1, keepdims=True) * u
    fallback = forward - np.sum(forward * u, 1, keepdims=True) * u
    v = np.where((np.linalg.norm(v, axis=1) > 1e-4 * l1)[:, None], v, fallback)
    v = normalize(v)
    new_knee = hip + l1[:, None] * (cos_a[:, None] * u + np.sqrt(1 - cos_a ** 2)[:, None] * v)
    return new_knee, hip + d[:, None] * u


def lock_feet(found: list[Contact], by_role: dict, world: dict, rotations: dict, settings: LockSettings,
              object_world: np.ndarray) -> bool:
    """Rotate the thighs and shins in `rotations` (world, frames x 3 x 3) so that each planted foot
    stays where the contact began; `world` is the first solve. Returns whether anything changed."""
    frames = next(iter(world.values())).shape[0] if world else 0
    forward = np.broadcast_to(normalize(object_world[:3, :3] @ np.array([0.0, -1.0, 0.0])), (frames, 3))
    changed = False
    for side in "LR":
        mine = [c for c in found if c.side == side]
        names = [by_role[f"{part}.{side}"].target for part in ("thigh", "shin", "foot")] if mine else []
        if not mine or not all(n in world for n in names):
            continue
        hip, knee, ankle = (world[n][:, :3, 3] for n in names)
        goal = ankle.copy()
        weight = np.zeros(frames)
        for c in mine:
            pin = ankle[c.start]
            goal[c.start:c.end + 1] = pin
            weight[c.start:c.end + 1] = 1.0
            for k in range(1, settings.blend_frames + 1):  # ease back into the animation
                f = c.end + k
                if f >= frames or weight[f] >= 1.0:
                    break
                w = 1.0 - k / (settings.blend_frames + 1)
                if w > weight[f]:
                    goal[f] = w * pin + (1 - w) * ankle[f]
                    weight[f] = w
        sel = weight > 0
        if not np.any(sel):
            continue
        new_knee, new_ankle = two_bone_ik(hip[sel], knee[sel], ankle[sel], goal[sel], forward[sel])
        thigh_turn = swing(knee[sel] - hip[sel], new_knee - hip[sel])
        shin_turn = swing(ankle[sel] - knee[sel], new_ankle - new_knee)
        for name, turn in ((names[0], thigh_turn), (names[1], shin_turn)):
            r = np.array(rotations[name], copy=True)
            r[sel] = turn @ r[sel]
            rotations[name] = r
        changed = True
    return changed
