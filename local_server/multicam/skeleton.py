# SPDX-License-Identifier: GPL-3.0-or-later
"""Which MediaPipe keypoints multicam uses, and body measures taken from them."""
from __future__ import annotations

import numpy as np

from ..mocap import pose_tracking as P

#: Keypoints that sit on the body's frame (no eyes/mouth, whose errors are correlated with the nose's).
BODY_JOINTS = np.array([P.NOSE, P.L_EAR, P.R_EAR, P.L_SHOULDER, P.R_SHOULDER, P.L_ELBOW, P.R_ELBOW,
                        P.L_WRIST, P.R_WRIST, P.L_HIP, P.R_HIP, P.L_KNEE, P.R_KNEE, P.L_ANKLE, P.R_ANKLE,
                        P.L_HEEL, P.R_HEEL, P.L_FOOT, P.R_FOOT])
FOOT_JOINTS = np.array([P.L_HEEL, P.R_HEEL, P.L_FOOT, P.R_FOOT])
#: Each left keypoint with its right twin (MediaPipe may swap them when it sees a person from behind).
LEFT_RIGHT = [(1, 4), (2, 5), (3, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (17, 18), (19, 20),
              (21, 22), (23, 24), (25, 26), (27, 28), (29, 30), (31, 32)]
#: Standing height from the ankle-knee-hip-shoulder-ear chain: the chain spans 0.89 of the height
#: (Drillis & Contini's segment proportions: ankle 0.039 H, ear about 0.93 H).
CHAIN_SHARE_OF_HEIGHT = 0.89


def swap_left_right(points: np.ndarray) -> np.ndarray:
    """The same keypoints (..., 33, k) with every left/right pair exchanged."""
    out = points.copy()
    for a, b in LEFT_RIGHT:
        out[..., a, :], out[..., b, :] = points[..., b, :], points[..., a, :]
    return out


def body_height_px(xy: np.ndarray, conf: np.ndarray, min_conf: float = 0.5) -> float:
    """The person's typical height in the image (median over frames of the keypoints' vertical extent)."""
    pts = np.where((conf[..., BODY_JOINTS] >= min_conf)[..., None], xy[:, BODY_JOINTS], np.nan)
    with np.errstate(invalid="ignore"):
        extent = np.nanmax(pts[..., 1], axis=1) - np.nanmin(pts[..., 1], axis=1)
    extent = extent[np.isfinite(extent)]
    return float(np.median(extent)) if extent.size else 0.0


def _mid(x: np.ndarray, a: int, b: int) -> np.ndarray:
    return (x[:, a] + x[:, b]) / 2


def standing_height(points: np.ndarray) -> float:
    """Height (same unit as the points) of the person whose 3D keypoints (F, 33, 3) these are, from
    the median length of each segment of the ankle-to-ear chain, so bent knees do not shorten it."""
    def seg(a, b):
        d = np.linalg.norm(a - b, axis=-1)
        d = d[np.isfinite(d)]
        return float(np.median(d)) if d.size else np.nan

    shin = np.nanmean([seg(points[:, P.L_ANKLE], points[:, P.L_KNEE]), seg(points[:, P.R_ANKLE], points[:, P.R_KNEE])])
    thigh = np.nanmean([seg(points[:, P.L_KNEE], points[:, P.L_HIP]), seg(points[:, P.R_KNEE], points[:, P.R_HIP])])
    trunk = seg(_mid(points, P.L_HIP, P.R_HIP), _mid(points, P.L_SHOULDER, P.R_SHOULDER))
    neck = seg(_mid(points, P.L_SHOULDER, P.R_SHOULDER), _mid(points, P.L_EAR, P.R_EAR))
    return float((shin + thigh + trunk + neck) / CHAIN_SHARE_OF_HEIGHT)
