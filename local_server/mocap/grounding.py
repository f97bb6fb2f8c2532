# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the rig's hips go: feet in contact on the floor (Z=0), jumps kept, planted feet not sliding.

Rotations come from the tracked person but the rig has its own bone lengths, so the hips path is
rebuilt on the rig: the tracked hips' travel is scaled by the ratio of leg lengths, then corrected
while a foot is in contact (slow and near the floor estimated from the contacts) so that the rig's
foot stays on the floor and does not slide.
"""
from __future__ import annotations

import numpy as np

from .. import rig
from ..kinematics import forward_kinematics, quat_multiply, quat_rotate
from ..motion import Motion
from . import pose_tracking as P
from .lifting import HIP_C, SHOULDER_C
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


def planted(world: np.ndarray, fps: float, image_xy: np.ndarray | None = None, speed_limit: float = 0.3,
            height_limit: float = 0.08) -> tuple[np.ndarray, float]:
    """(F, 2) bool: is the left/right foot in contact with the floor? And the floor's height.

    A foot is in contact when slow and near the floor. Its speed is taken from the picture where
    there is one (MediaPipe's 2D points are steady; the lifted depth is not), turned into metres by
    the torso's length. The floor is one plane: the height of the lower foot over the frames where
    it is slow, so an airborne body (both feet off it) is never mistaken for standing."""
    feet = np.stack([(world[:, P.L_HEEL] + world[:, P.L_FOOT]) / 2, (world[:, P.R_HEEL] + world[:, P.R_FOOT]) / 2], 1)
    f = feet.shape[0]
    if f < 2:
        return np.ones((f, 2), bool), float(feet[..., 2].min()) if f else 0.0
    if image_xy is not None and np.isfinite(image_xy).all():
        px = np.stack([(image_xy[:, P.L_HEEL] + image_xy[:, P.L_FOOT]) / 2,
                       (image_xy[:, P.R_HEEL] + image_xy[:, P.R_FOOT]) / 2], 1)
        torso_px = np.linalg.norm((image_xy[:, P.L_SHOULDER] + image_xy[:, P.R_SHOULDER]) / 2
                                  - (image_xy[:, P.L_HIP] + image_xy[:, P.R_HIP]) / 2, axis=-1)
        torso_m = np.linalg.norm(world[:, SHOULDER_C] - world[:, HIP_C], axis=-1)
        px_per_m = gaussian_smooth(torso_px, fps * 0.5) / max(float(np.median(torso_m)), 1e-6)
        track = px / np.maximum(px_per_m, 1e-6)[:, None, None]
    else:
        track = feet
    # Velocity smoothed, not positions: a mirrored position track would stand still at its ends.
    speed = np.linalg.norm(gaussian_smooth(np.gradient(track, axis=0), fps * 0.03), axis=-1) * fps
    height = gaussian_smooth(feet[..., 2], fps * 0.03)
    lower = np.argmin(height, axis=1)
    rows = np.arange(f)
    slow = speed[rows, lower] < speed_limit
    floor = float(np.median(height[rows, lower][slow])) if slow.any() else float(np.percentile(height.min(1), 10))
    # The lifted heights drift by a decimetre with depth errors; a still foot carrying the body while
    # the other is lifted is down even where its height drifted (not in a jump: there it moves).
    above = height - floor
    carrying = np.zeros_like(above, dtype=bool)
    carrying[rows, lower] = (height[rows, 1 - lower] - height[rows, lower] > 0.1) & (above[rows, lower] < 2.5 * height_limit)
    return (speed < speed_limit) & ((above < height_limit) | carrying), floor


def clean_contacts(contact: np.ndarray, fps: float, seconds: float = 0.1) -> np.ndarray:
    """One foot's contact frames without flicker: gaps shorter than `seconds` closed, then contacts
    shorter than that dropped (a foot is not put down and lifted within a tenth of a second)."""
    n = max(1, int(round(seconds * fps)))
    out = contact.copy()
    for gap in _runs(np.flatnonzero(~out)):
        if len(gap) < n and gap[0] > 0 and gap[-1] < len(out) - 1:
            out[gap] = True
    for run in _runs(np.flatnonzero(out)):
        if len(run) < n:
            out[run] = False
    return out


def _interpolate_corrections(corr: np.ndarray, have: np.ndarray) -> np.ndarray:
    t = np.arange(corr.shape[0])
    if not have.any():
        return np.zeros_like(corr)
    return np.stack([np.interp(t, t[have], corr[have, k]) for k in range(corr.shape[1])], axis=1)


def _runs(frames: np.ndarray) -> list[np.ndarray]:
    return np.split(frames, np.flatnonzero(np.diff(frames) > 1) + 1) if frames.size else []


def place_root(motion: Motion, world: np.ndarray, fps: float, image_xy: np.ndarray | None = None) -> dict:
    """Fill `motion.root_positions` in place from tracked world joints (F, 36, 3), with MediaPipe's
    2D points (F, 33, 2) for the feet's speed where given. Returns figures for metadata.

    Heights: in contact frames the contact foot's sole stands on the floor; between them the hips
    follow the tracked hips' own rise and fall (offset interpolated from the contacts around), so a
    jump stays a jump. Across: a foot in contact stays where it was put down."""
    f = motion.frame_count
    leg_tracked = np.median(np.linalg.norm(world[:, P.L_KNEE] - world[:, P.L_HIP], axis=-1)
                            + np.linalg.norm(world[:, P.L_ANKLE] - world[:, P.L_KNEE], axis=-1))
    scale = _leg_length_rig() / max(leg_tracked, 1e-6)
    hips = world[:, HIP_C] * scale
    root = np.zeros((f, 3))
    root[:, :2] = hips[:, :2] - hips[0, :2]  # the take starts over the origin

    motion.root_positions = root.copy()
    soles = sole_points(motion)  # with the hips at floor level: heights are relative to the hips
    sole_low = soles[..., 2].min(axis=2)  # (F, 2) lowest point of each foot
    contact, _ = planted(world, fps, image_xy)
    contact = np.stack([clean_contacts(contact[:, k], fps) for k in range(2)], axis=1)
    have_z = contact.any(axis=1)
    if have_z.any():
        # On contact frames, the hips' height that puts the lowest foot in contact on the floor.
        on_floor = -np.where(contact, sole_low, np.inf).min(axis=1)
        offset = np.where(have_z, on_floor - hips[:, 2], 0.0)
        offset = _interpolate_corrections(offset[:, None], have_z)[:, 0]
        root[:, 2] = hips[:, 2] + gaussian_smooth(offset, fps * 0.05)
    else:  # never a foot down (or never found): the lower foot on the floor
        root[:, 2] = gaussian_smooth(-sole_low.min(axis=1), 0.5)

    foot_xy = soles[:, :, :, :2].mean(axis=2)
    corr = np.zeros((f, 2))
    weight = np.zeros(f)
    for side in range(2):
        for run in _runs(np.flatnonzero(contact[:, side])):
            anchor = foot_xy[run[len(run) // 2], side]  # each run pins the foot where it was mid-run
            corr[run] += anchor - foot_xy[run, side]
            weight[run] += 1
    have = weight > 0
    corr[have] /= weight[have, None]
    corr = _interpolate_corrections(corr, have)
    root[:, :2] += corr
    motion.root_positions = root
    pin_feet(motion, contact, fps)
    return {"plantedFrames": int(contact.any(axis=1).sum()), "bodyScale": round(float(1 / scale), 3)}


def _swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Shortest-arc quaternions (F, 4) turning unit vectors a onto b."""
    w = 1.0 + np.sum(a * b, axis=-1, keepdims=True)
    q = np.concatenate([w, np.cross(a, b)], axis=-1)
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v, axis=-1, keepdims=True) + 1e-12)


def pin_feet(motion: Motion, contact: np.ndarray, fps: float, blend_seconds: float = 0.1, max_shift: float = 0.15) -> None:
    """Turn each leg about its hip so that its ankle points at its median place over each contact,
    fading in and out over blend_seconds around the contact. Moving the hips alone cannot hold two
    planted feet whose distance the capture got wrong; turning the leg whole keeps the knee's angle
    (near straight, a knee would bend tens of degrees to shorten a leg by centimetres). A correction
    is for noise: where the ankle would have to move more than max_shift (m), the foot was not
    planted after all, and the correction fades out."""
    heads, _ = forward_kinematics(motion)
    idx = {n: i for i, n in enumerate(motion.bone_names)}
    blend = max(1, int(round(blend_seconds * fps)))
    for k, side in enumerate(("Left", "Right")):
        up, low, foot = idx[f"{side}UpLeg"], idx[f"{side}Leg"], idx[f"{side}Foot"]
        ankle = heads[:, foot]
        target = ankle.copy()
        weight = np.zeros(len(ankle))
        n = len(ankle)
        for run in _runs(np.flatnonzero(contact[:, k])):
            anchor = np.median(ankle[run], axis=0)
            target[run], weight[run] = anchor, 1.0
            # Fade in before the contact and out after it, so the foot is held in full throughout.
            for edge, step in ((run[0], -1), (run[-1], 1)):
                for j in range(1, blend + 1):
                    t = edge + step * j
                    if not 0 <= t < n or contact[t, k]:
                        break
                    w = 1.0 - j / (blend + 1)
                    if w > weight[t]:
                        target[t], weight[t] = anchor, w
        shift = np.linalg.norm(target - ankle, axis=-1)
        weight *= np.clip(2.0 - shift / max_shift, 0.0, 1.0)  # full up to max_shift, none from twice that
        rows = np.flatnonzero(weight > 0)
        if rows.size == 0:
            continue
        hip = heads[rows, up]
        goal = ankle[rows] + weight[rows, None] * (target[rows] - ankle[rows])
        turn = _swing(_unit(ankle[rows] - hip), _unit(goal - hip))
        for bone in (up, low):  # the whole leg turns about the hip; the knee keeps its angle
            motion.rotations[rows, bone] = quat_multiply(turn, motion.rotations[rows, bone])
