# SPDX-License-Identifier: GPL-3.0-or-later
"""Bundle adjustment: cameras (rotation, position, focal length) and points refined together.

Levenberg-Marquardt on the reprojection error with a Cauchy loss (keypoints from a pose model
have outliers: a swapped limb, a guessed occluded joint), weighted by each keypoint's confidence.
The points are eliminated per point (Schur complement), so a step solves one small system of
7 unknowns per camera whatever the number of points.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CAM_PARAMS = 7  # rotation (3, left-multiplied), translation (3), focal length (1)


@dataclass
class Observations:
    cam: np.ndarray  # (M,) camera index
    point: np.ndarray  # (M,) point index
    uv: np.ndarray  # (M, 2) pixels
    weight: np.ndarray  # (M,) confidence


@dataclass
class BundleResult:
    rotations: np.ndarray  # (C, 3, 3)
    translations: np.ndarray  # (C, 3)
    focals: np.ndarray  # (C,)
    points: np.ndarray  # (N, 3)
    rms_px: float  # over the observations the loss kept (residual below 3 loss scales)
    median_px: float
    iterations: int


def _skew(v: np.ndarray) -> np.ndarray:
    z = np.zeros(v.shape[:-1])
    return np.stack([np.stack([z, -v[..., 2], v[..., 1]], -1), np.stack([v[..., 2], z, -v[..., 0]], -1),
                     np.stack([-v[..., 1], v[..., 0], z], -1)], -2)


def _exp_so3(w: np.ndarray) -> np.ndarray:
    angle = np.linalg.norm(w, axis=-1)[..., None, None]
    k = _skew(w / np.maximum(angle[..., 0], 1e-12))
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def _inv3(m: np.ndarray) -> np.ndarray:
    """Inverses of many 3x3 matrices (adjugate over determinant): several times faster than linalg.inv."""
    c0 = np.cross(m[:, 1], m[:, 2])
    c1 = np.cross(m[:, 2], m[:, 0])
    c2 = np.cross(m[:, 0], m[:, 1])
    det = np.einsum("ni,ni->n", m[:, 0], c0)
    return np.stack([c0, c1, c2], axis=2) / det[:, None, None]


def _residuals(rot, trans, focal, centre, points, obs: Observations):
    xc = np.einsum("mij,mj->mi", rot[obs.cam], points[obs.point]) + trans[obs.cam]
    z = xc[:, 2:3]
    p = xc[:, :2] / z
    return focal[obs.cam, None] * p + centre[obs.cam] - obs.uv, xc, p


def _cauchy_cost(res: np.ndarray, weight: np.ndarray, scale: float) -> float:
    r2 = np.sum(res * res, axis=1) / scale ** 2
    return float(np.sum(weight * scale ** 2 * np.log1p(r2)))


def bundle_adjust(rotations, translations, focals, centres, points, obs: Observations, loss_scale: float = 8.0,
                  iterations: int = 60, fix_focal: bool = False) -> BundleResult:
    """Refine cameras and points. centres (C, 2) principal points stay fixed; loss_scale in pixels."""
    rot, trans = np.array(rotations, float), np.array(translations, float)
    focal, pts = np.array(focals, float), np.array(points, float)
    centre = np.asarray(centres, float)
    n_cam, n_pt = rot.shape[0], pts.shape[0]
    w_conf = np.asarray(obs.weight, float)
    res, xc, p = _residuals(rot, trans, focal, centre, pts, obs)
    cost = _cauchy_cost(res, w_conf, loss_scale)
    lam = 1e-3
    it = 0
    for it in range(1, iterations + 1):
        r2 = np.sum(res * res, axis=1) / loss_scale ** 2
        w = w_conf / (1 + r2)  # IRLS weight of the Cauchy loss
        sw = np.sqrt(w)[:, None, None]
        z = xc[:, 2]
        f = focal[obs.cam]
        d = np.zeros((len(z), 2, 3))
        d[:, 0, 0] = d[:, 1, 1] = f / z
        d[:, 0, 2] = -f * xc[:, 0] / z ** 2
        d[:, 1, 2] = -f * xc[:, 1] / z ** 2
        rx = xc - trans[obs.cam]  # R X
        a = np.concatenate([d @ -_skew(rx), d, p[:, :, None]], axis=2) * sw  # (M, 2, 7)
        if fix_focal:
            a[:, :, 6] = 0.0
        b = (d @ rot[obs.cam]) * sw  # (M, 2, 3)
        e = res * sw[:, :, 0]
        at = a.transpose(0, 2, 1)
        u = np.zeros((n_cam, CAM_PARAMS, CAM_PARAMS))
        np.add.at(u, obs.cam, at @ a)
        v = np.zeros((n_pt, 3, 3))
        np.add.at(v, obs.point, b.transpose(0, 2, 1) @ b)
        g_c = np.zeros((n_cam, CAM_PARAMS))
        np.add.at(g_c, obs.cam, (at @ e[:, :, None])[..., 0])
        g_p = np.zeros((n_pt, 3))
        np.add.at(g_p, obs.point, (b.transpose(0, 2, 1) @ e[:, :, None])[..., 0])
        w_dense = np.zeros((n_pt, n_cam, CAM_PARAMS, 3))
        w_dense[obs.point, obs.cam] = at @ b  # one observation per (point, camera)
        w_flat = w_dense.reshape(n_pt, n_cam * CAM_PARAMS, 3)
        while True:
            u_d = u + lam * (u * np.eye(CAM_PARAMS)) + 1e-9 * np.eye(CAM_PARAMS)
            v_d = v + lam * (v * np.eye(3)) + 1e-9 * np.eye(3)
            v_inv = _inv3(v_d)
            y = w_flat @ v_inv  # (N, C*7, 3)
            s = -np.tensordot(y, w_flat, axes=([0, 2], [0, 2]))  # BLAS: the Schur complement
            for c in range(n_cam):
                sl = slice(c * CAM_PARAMS, (c + 1) * CAM_PARAMS)
                s[sl, sl] += u_d[c]
            rhs = -g_c.reshape(-1) + (y @ g_p[:, :, None]).sum(axis=0)[:, 0]
            try:
                dc = np.linalg.solve(s, rhs).reshape(n_cam, CAM_PARAMS)
            except np.linalg.LinAlgError:
                lam *= 10
                continue
            dp = (v_inv @ (-g_p - (w_flat.transpose(0, 2, 1) @ dc.reshape(-1)))[:, :, None])[..., 0]
            rot_new = _exp_so3(dc[:, :3]) @ rot
            trans_new = trans + dc[:, 3:6]
            focal_new = focal + (0.0 if fix_focal else dc[:, 6])
            pts_new = pts + dp
            res_new, xc_new, p_new = _residuals(rot_new, trans_new, focal_new, centre, pts_new, obs)
            cost_new = _cauchy_cost(res_new, w_conf, loss_scale) if np.all(xc_new[:, 2] > 0) else np.inf
            if cost_new < cost:
                improvement = (cost - cost_new) / max(cost, 1e-12)
                rot, trans, focal, pts = rot_new, trans_new, focal_new, pts_new
                res, xc, p, cost = res_new, xc_new, p_new, cost_new
                lam = max(lam / 3, 1e-9)
                break
            lam *= 4
            if lam > 1e8:
                improvement = 0.0
                break
        if improvement < 1e-7:
            break
    norm = np.linalg.norm(res, axis=1)
    kept = norm < 3 * loss_scale
    rms = float(np.sqrt(np.mean(norm[kept] ** 2))) if kept.any() else float("nan")
    return BundleResult(rot, trans, focal, pts, rms, float(np.median(norm)), it)
