# SPDX-License-Identifier: GPL-3.0-or-later
"""How far one set of cameras is from another once a similarity (scale, rotation, shift) aligns them."""
from __future__ import annotations

import numpy as np

from local_server.multicam.cameras import CameraModel


def umeyama(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Scale s, rotation R, shift t minimising |s R src + t - dst|^2 (Umeyama 1991)."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    u, d, vt = np.linalg.svd(b.T @ a / len(src))
    sign = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    rot = u @ sign @ vt
    scale = float(np.trace(np.diag(d) @ sign) / (a ** 2).sum() * len(src))
    return scale, rot, mu_d - scale * rot @ mu_s


def rotation_angle_deg(r: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip((np.trace(r) - 1) / 2, -1.0, 1.0))))


def compare_cameras(estimated: list[CameraModel], reference: list[CameraModel]) -> dict:
    """Per camera: centre distance (m, in the reference's scale) and orientation difference (deg)
    after aligning the estimated centres onto the reference ones; also focal length ratios."""
    src = np.stack([c.center for c in estimated])
    dst = np.stack([c.center for c in reference])
    scale, rot, shift = umeyama(src, dst)
    out = {"scale": scale, "cameras": {}}
    for e, r in zip(estimated, reference):
        centre = scale * rot @ e.center + shift
        r_aligned = e.rotation @ rot.T  # world(ref) -> camera
        out["cameras"][r.name] = {
            "centre_m": float(np.linalg.norm(centre - r.center)),
            "orientation_deg": rotation_angle_deg(r.rotation @ r_aligned.T),
            "focal_ratio": e.focal / r.focal,
        }
    return out
