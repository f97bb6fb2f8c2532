# SPDX-License-Identifier: GPL-3.0-or-later
"""Synthetic multicam data with known answers: a walking person's 33 MediaPipe keypoints, cameras around them.

The body's proportions follow Drillis & Contini (the ones calibration's height rule assumes), so the
metric scale recovered from `humanHeight` can be checked as well as the cameras.
"""
from __future__ import annotations

import numpy as np

from local_server.mocap import pose_tracking as P
from local_server.multicam.cameras import CameraModel


def body_template(height: float = 1.75) -> np.ndarray:
    """(33, 3) keypoints standing at the origin, facing -Y, Z up, metres."""
    h = height
    t = np.zeros((33, 3))
    for side, sx in (("L", 1.0), ("R", -1.0)):  # MediaPipe's left is the person's left: +X when facing -Y
        g = lambda n: getattr(P, f"{side}_{n}")  # noqa: E731
        t[g("ANKLE")] = (sx * 0.09, 0.0, 0.039 * h)
        t[g("KNEE")] = (sx * 0.09, -0.01, 0.285 * h)
        t[g("HIP")] = (sx * 0.09, 0.0, 0.530 * h)
        t[g("SHOULDER")] = (sx * 0.19, 0.0, 0.818 * h)
        t[g("ELBOW")] = (sx * 0.22, 0.02, 0.630 * h)
        t[g("WRIST")] = (sx * 0.23, 0.0, 0.485 * h)
        t[g("HEEL")] = (sx * 0.09, 0.05, 0.012 * h)
        t[g("FOOT")] = (sx * 0.10, -0.16, 0.010 * h)
        t[g("EAR")] = (sx * 0.075, 0.0, 0.929 * h)
        t[g("PINKY")] = (sx * 0.24, 0.01, 0.44 * h)
        t[g("INDEX")] = (sx * 0.22, -0.02, 0.43 * h)
        t[g("THUMB")] = (sx * 0.21, -0.03, 0.45 * h)
    t[P.NOSE] = (0.0, -0.10, 0.93 * h)
    for i, x in zip(range(1, 7), (0.02, 0.035, 0.05, -0.02, -0.035, -0.05)):  # eyes inner/centre/outer
        t[i] = (x, -0.085, 0.945 * h)
    t[9], t[10] = (0.025, -0.09, 0.90 * h), (-0.025, -0.09, 0.90 * h)
    return t


def walking_person(frames: int = 120, fps: float = 30.0, height: float = 1.75, radius: float = 1.0) -> np.ndarray:
    """(F, 33, 3): walking around a circle with swinging arms and legs and a little bob."""
    base = body_template(height)
    out = np.zeros((frames, 33, 3))
    legs = {P.L_KNEE: 0.5, P.L_ANKLE: 1.0, P.L_HEEL: 1.0, P.L_FOOT: 1.0,
            P.R_KNEE: -0.5, P.R_ANKLE: -1.0, P.R_HEEL: -1.0, P.R_FOOT: -1.0}
    arms = {P.L_ELBOW: -0.5, P.L_WRIST: -1.0, P.L_PINKY: -1.0, P.L_INDEX: -1.0, P.L_THUMB: -1.0,
            P.R_ELBOW: 0.5, P.R_WRIST: 1.0, P.R_PINKY: 1.0, P.R_INDEX: 1.0, P.R_THUMB: 1.0}
    for f in range(frames):
        t = f / fps
        angle = 0.9 * t  # radians around the circle
        phase = 2 * np.pi * (0.9 * t + 0.25 * np.sin(0.8 * t))  # an uneven pace, as people walk: not periodic
        step = np.sin(phase)
        body = base.copy()
        for j, k in legs.items():
            body[j, 1] -= 0.25 * k * step
            body[j, 2] += 0.04 * max(0.0, k * step) if j != P.L_KNEE and j != P.R_KNEE else 0.0
        for j, k in arms.items():
            body[j, 1] -= 0.18 * k * step
        body[:, 2] -= 0.02 * (1 - np.cos(2 * phase))  # the bob of each step
        heading = angle + np.pi  # walk along the circle's tangent
        c, s = np.cos(heading), np.sin(heading)
        rz = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
        out[f] = body @ rz.T + np.array([radius * np.cos(angle), radius * np.sin(angle), 0.0])
    out[..., 2] -= out[..., 2].min() - 0.01 * height  # soles on the floor
    return out


def look_at(name: str, centre, target, size=(1280, 720), focal: float = 1000.0) -> CameraModel:
    centre, target = np.asarray(centre, float), np.asarray(target, float)
    forward = target - centre
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    rot = np.stack([right, down, forward])
    k = np.array([[focal, 0, size[0] / 2], [0, focal, size[1] / 2], [0, 0, 1.0]])
    return CameraModel(name, size, k, rot, -rot @ centre)


def camera_ring(count: int = 4, radius: float = 4.5, focal: float = 1000.0) -> list[CameraModel]:
    cams = []
    for i in range(count):
        a = np.radians(20 + 360 / count * i + 7 * i)
        height = 1.3 + 0.15 * i
        size = (1280, 720) if i % 2 == 0 else (720, 1280)
        cams.append(look_at(f"cam{i + 1:02d}", (radius * np.cos(a), radius * np.sin(a), height), (0, 0, 0.9),
                            size=size, focal=focal * (1 + 0.05 * i)))
    return cams


def observe(cameras: list[CameraModel], points: np.ndarray, noise_px: float = 1.5, seed: int = 0):
    """Keypoints (V, F, 33, 2) and confidences (V, F, 33) as a pose model would give them: noisy pixels,
    points outside the image or behind the camera unseen."""
    rng = np.random.default_rng(seed)
    xy, conf = [], []
    for cam in cameras:
        px = cam.project(points) + rng.normal(0, noise_px, points.shape[:-1] + (2,))
        inside = ((px[..., 0] >= 0) & (px[..., 0] < cam.size[0]) & (px[..., 1] >= 0) & (px[..., 1] < cam.size[1])
                  & (cam.depth(points) > 0))
        xy.append(np.where(inside[..., None], px, np.nan))
        conf.append(np.where(inside, 0.9, 0.0))
    return np.stack(xy), np.stack(conf)
