# SPDX-License-Identifier: GPL-3.0-or-later
"""Small synthetic MediaPipe tracks for the mocap tests: a stick person in numpy, seen by a pinhole
camera, with the 2D points and hip-centred world landmarks MediaPipe would give. No rendering."""
from __future__ import annotations

import numpy as np

from local_server.mocap import pose_tracking as P

FOCAL, CX, CY = 800.0, 320.0, 240.0

# The person's frame: +X their left, +Y up, +Z their forward; feet on Y = 0.
_BODY = {
    P.NOSE: (0.0, 1.65, 0.10), 1: (0.03, 1.68, 0.08), 2: (0.03, 1.68, 0.08), 3: (0.05, 1.68, 0.07),
    4: (-0.03, 1.68, 0.08), 5: (-0.03, 1.68, 0.08), 6: (-0.05, 1.68, 0.07), P.L_EAR: (0.08, 1.65, 0.0),
    P.R_EAR: (-0.08, 1.65, 0.0), 9: (0.02, 1.6, 0.09), 10: (-0.02, 1.6, 0.09),
}


def skeleton(frames: int, yaw_deg=0.0, arm_swing_deg=None, knee_deg=None, lift_m=None, travel_m=None,
             elbow_deg=None, both_knees: bool = False) -> np.ndarray:
    """(F, 33, 3) landmark positions in the world (X right, Y up, Z away from the camera at Z = -4).
    Each argument may be a number or an (F,) array: the turn of the body (0 faces the camera), the
    left arm's swing forward (the right swings back), the left knee's bend, the body's height off the
    floor, its travel along X, and the left elbow's bend (forearm swinging further forward; default
    a slight 17 degrees on both arms); both_knees bends the right knee as the left."""
    def per_frame(v, default=0.0):
        return np.broadcast_to(np.asarray(default if v is None else v, float), (frames,))

    yaw, swing, knee = (np.radians(per_frame(v)) for v in (yaw_deg, arm_swing_deg, knee_deg))
    elbow = np.radians(per_frame(elbow_deg, np.degrees(0.3)))
    lift, travel = per_frame(lift_m), per_frame(travel_m)
    out = np.zeros((frames, 33, 3))
    for f in range(frames):
        pts = {k: np.array(v) for k, v in _BODY.items()}
        for side, s in (("L", 1.0), ("R", -1.0)):
            sh = np.array([0.18 * s, 1.45, 0.0])
            a = swing[f] * s
            elbow_p = sh + 0.3 * np.array([0.0, -np.cos(a), np.sin(a)])
            fa = a + (elbow[f] if side == "L" else 0.3)
            wrist = elbow_p + 0.27 * np.array([0.0, -np.cos(fa), np.sin(fa)])
            hip = np.array([0.1 * s, 0.95, 0.0])
            k = knee[f] if side == "L" or both_knees else 0.0
            kneep = hip + 0.45 * np.array([0.0, -np.cos(k / 2), np.sin(k / 2)])
            ankle = kneep + 0.42 * np.array([0.0, -np.cos(k / 2), -np.sin(k / 2)])
            for name, p in (("SHOULDER", sh), ("ELBOW", elbow_p), ("WRIST", wrist), ("HIP", hip), ("KNEE", kneep),
                            ("ANKLE", ankle)):
                pts[getattr(P, f"{side}_{name}")] = p
            for name, d in (("PINKY", (0.01 * s, -0.08, 0.0)), ("INDEX", (-0.01 * s, -0.08, 0.02)),
                            ("THUMB", (-0.02 * s, -0.05, 0.03))):
                pts[getattr(P, f"{side}_{name}")] = wrist + d
            pts[getattr(P, f"{side}_HEEL")] = ankle + (0.0, -0.06, -0.05)
            pts[getattr(P, f"{side}_FOOT")] = ankle + (0.0, -0.07, 0.15)
        body = np.array([pts[i] for i in range(33)])
        body[:, 1] -= 0.01  # soles at height 0
        # Turn by yaw about the vertical; facing the camera means the body's +Z points at it (-Z world).
        c, s = np.cos(yaw[f]), np.sin(yaw[f])
        x, y, z = body[:, 0], body[:, 1], body[:, 2]
        out[f, :, 0] = c * x + s * z
        out[f, :, 2] = -(-s * x + c * z)
        out[f, :, 1] = y + lift[f]
        out[f, :, 0] += travel[f]
    return out


def track_of(world_pts: np.ndarray, fps: float = 30.0, flatten: float = 0.5) -> P.PoseTrack:
    """What MediaPipe would report for these world points: pixels through the camera at Z = -4 (1 m
    up), and hip-centred camera-axis world landmarks with depth flattened."""
    cam = np.stack([world_pts[..., 0], -(world_pts[..., 1] - 1.0), world_pts[..., 2] + 4.0], -1)
    xy = np.stack([FOCAL * cam[..., 0] / cam[..., 2] + CX, FOCAL * cam[..., 1] / cam[..., 2] + CY], -1)
    hips = (cam[:, P.L_HIP] + cam[:, P.R_HIP]) / 2
    world = cam - hips[:, None]
    world[..., 2] *= flatten
    f = world_pts.shape[0]
    return P.PoseTrack(fps=fps, width=640, height=480, start_frame=0, image_xy=xy, visibility=np.ones((f, 33)),
                       world=world)


def mediapipe_swap(track: P.PoseTrack, frames, pairs=None, mirror_depth: bool = True) -> P.PoseTrack:
    """The track with MediaPipe's mistake put in on `frames`: left and right labels exchanged (all
    pairs, or the given ones), and for a whole-body swap its world depth mirrored as it does."""
    from dataclasses import replace

    from local_server.mocap.sides import ALL_PAIRS, _exchange

    pairs = pairs or ALL_PAIRS
    xy, world, vis = track.image_xy.copy(), track.world.copy(), track.visibility.copy()
    xy[frames] = _exchange(xy[frames], pairs)
    world[frames] = _exchange(world[frames], pairs)
    if mirror_depth:
        world[frames, :, 2] *= -1
    return replace(track, image_xy=xy, world=world, visibility=vis)
