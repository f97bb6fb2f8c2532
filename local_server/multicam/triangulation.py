# SPDX-License-Identifier: GPL-3.0-or-later
"""Joints in 3D from the views that see them: confidence-weighted DLT, dropping a view that disagrees.

A view whose keypoint reprojects far from where the others put the joint (a mislabelled or
occluded point) is left out and the joint triangulated again from the rest, as Pose2Sim does.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cameras import CameraModel
from .skeleton import BODY_JOINTS, swap_left_right


@dataclass
class Triangulated:
    points: np.ndarray  # (F, J, 3) world metres; NaN where fewer than two views saw the joint
    views_used: np.ndarray  # (F, J, V) bool
    error_px: np.ndarray  # (F, J) mean reprojection error over the views used; NaN where no point
    swapped: dict = field(default_factory=dict)  # view -> frames whose left/right labels were swapped back


def _dlt(proj: np.ndarray, norm_xy: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """proj (V, 3, 4) normalised projections; norm_xy (N, V, 2); weight (N, V) -> points (N, 3)."""
    rows_x = norm_xy[..., 0:1] * proj[None, :, 2] - proj[None, :, 0]  # (N, V, 4)
    rows_y = norm_xy[..., 1:2] * proj[None, :, 2] - proj[None, :, 1]
    a = np.concatenate([rows_x, rows_y], axis=1) * np.concatenate([weight, weight], axis=1)[..., None]
    a = np.nan_to_num(a)
    # the smallest eigenvector of A^T A (4x4), cheaper than an SVD of each A
    _, vecs = np.linalg.eigh(np.einsum("nki,nkj->nij", a, a))
    h = vecs[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        return h[:, :3] / h[:, 3:4]


def reprojection_errors(cameras: list[CameraModel], points: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Pixel distance (..., V) between each view's keypoint xy (V, ..., 2) and the projected points (..., 3)."""
    return np.stack([np.linalg.norm(cam.project(points) - xy[v], axis=-1) for v, cam in enumerate(cameras)], axis=-1)


def triangulate(cameras: list[CameraModel], xy: np.ndarray, conf: np.ndarray, min_conf: float = 0.3,
                outlier_px: float | None = None) -> Triangulated:
    """xy (V, F, J, 2) pixels, conf (V, F, J) in 0..1 -> Triangulated.

    outlier_px: a view reprojecting farther than this from the joint is dropped (while at least two
    views remain); default 2% of the image diagonal, about 40 px in HD."""
    v_count, f, j = conf.shape
    if outlier_px is None:
        outlier_px = 0.02 * float(np.mean([np.hypot(*c.size) for c in cameras]))
    proj = np.stack([np.hstack([c.rotation, c.translation[:, None]]) for c in cameras])
    norm = np.stack([cameras[v].normalized(xy[v].reshape(-1, 2)) for v in range(v_count)], axis=1)  # (N, V, 2)
    use = (conf.reshape(v_count, -1).T >= min_conf) & np.isfinite(norm).all(axis=-1)
    weight = np.where(use, conf.reshape(v_count, -1).T, 0.0)
    pix = xy.reshape(v_count, -1, 2)
    points = np.full((f * j, 3), np.nan)
    for _ in range(v_count - 1):  # at most one view dropped per round
        enough = use.sum(axis=1) >= 2
        if not enough.any():
            break
        pts = _dlt(proj, norm[enough], np.where(use[enough], weight[enough], 0.0))
        points[enough] = pts
        points[~enough] = np.nan
        err = reprojection_errors(cameras, points, pix)  # (N, V)
        behind = np.stack([c.depth(points) <= 0 for c in cameras], axis=-1)
        err = np.where(behind, np.inf, err)
        err = np.where(use, err, -1.0)
        worst = np.argmax(err, axis=1)
        worst_err = err[np.arange(err.shape[0]), worst]
        drop = enough & (worst_err > outlier_px) & (use.sum(axis=1) >= 3)
        if not drop.any():
            break
        use[np.flatnonzero(drop), worst[drop]] = False
    enough = use.sum(axis=1) >= 2
    points[~enough] = np.nan
    err = reprojection_errors(cameras, points, pix)
    mean_err = np.where(use, err, 0.0).sum(axis=1) / np.maximum(use.sum(axis=1), 1)
    mean_err[~enough] = np.nan
    return Triangulated(points.reshape(f, j, 3), use.reshape(f, j, v_count), mean_err.reshape(f, j))


def fix_left_right(cameras: list[CameraModel], xy: np.ndarray, conf: np.ndarray, frames: np.ndarray | None = None,
                   min_conf: float = 0.5) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
    """Swap back a view's left/right labels in the frames where the swapped labels agree better with the
    joints the other views triangulate (a pose model often mirrors a person it sees from behind).
    xy (V, F, 33, 2), conf (V, F, 33); returns new arrays and {view: frames swapped}."""
    xy, conf = xy.copy(), conf.copy()
    v_count, f = conf.shape[:2]
    frames = np.ones(f, bool) if frames is None else frames
    swapped: dict[int, int] = {}
    if v_count < 3:
        return xy, conf, swapped
    for v in range(v_count):
        others = [o for o in range(v_count) if o != v]
        tri = triangulate([cameras[o] for o in others], np.nan_to_num(xy[others]),
                          np.where(frames[None, :, None], conf[others], 0), min_conf=min_conf)
        proj = cameras[v].project(tri.points)[:, BODY_JOINTS]  # (F, J, 2)

        def distance(pts, c):
            ok = (c[:, BODY_JOINTS] >= min_conf) & np.isfinite(proj[..., 0])
            d = np.where(ok, np.linalg.norm(proj - pts[:, BODY_JOINTS], axis=-1), 0.0).sum(1)
            return d, ok.sum(1)

        d_keep, n_keep = distance(xy[v], conf[v])
        sw_xy, sw_conf = swap_left_right(xy[v]), swap_left_right(conf[v][..., None])[..., 0]
        d_swap, _ = distance(sw_xy, sw_conf)
        # clearly better, not only within the noise (a person seen side-on looks alike both ways)
        margin = 0.005 * float(np.hypot(*cameras[v].size)) * n_keep
        flip = frames & (d_swap < 0.7 * d_keep) & (d_keep - d_swap > margin) & (n_keep >= 8)
        if flip.any():
            xy[v][flip], conf[v][flip] = sw_xy[flip], sw_conf[flip]
            swapped[v] = int(flip.sum())
    return xy, conf, swapped
