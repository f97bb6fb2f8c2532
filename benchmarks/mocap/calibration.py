# SPDX-License-Identifier: GPL-3.0-or-later
"""Calibrated views of the pose2sim demos: read Qualisys' .qca.txt, undistort, triangulate.

The conversion follows Pose2Sim's own `read_qca` + `calib_qca_fun` (sub-pixel units /64, the
camera's pose inverted, then turned by pi about x into OpenCV's camera axes: x right, y down, z ahead).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class View:
    name: str
    K: np.ndarray  # (3, 3)
    dist: np.ndarray  # k1, k2, p1, p2
    R: np.ndarray  # world -> camera rotation (3, 3)
    t: np.ndarray  # world -> camera translation (3,), metres

    def to_camera(self, X: np.ndarray) -> np.ndarray:
        return X @ self.R.T + self.t

    def undistort(self, xy: np.ndarray) -> np.ndarray:
        """Pixels (..., 2) -> ideal pinhole pixels of the same K."""
        import cv2

        flat = np.asarray(xy, float).reshape(-1, 1, 2)
        ok = np.isfinite(flat[:, 0, 0])
        out = np.full(flat.shape, np.nan)
        if ok.any():
            out[ok] = cv2.undistortPoints(flat[ok], self.K, self.dist, P=self.K)
        return out.reshape(np.shape(xy))

    def project(self, X: np.ndarray) -> np.ndarray:
        """World points (..., 3) -> ideal (undistorted) pixels (..., 2)."""
        c = self.to_camera(X)
        uv = c[..., :2] / c[..., 2:3]
        return uv @ self.K[:2, :2].T + self.K[:2, 2]


def read_qca(path: Path) -> list[View]:
    root = ET.parse(path).getroot()
    views = []
    flip = np.diag([1.0, -1.0, -1.0])  # rotate_cam(ang_x=pi)
    for cam in root.findall("cameras/camera"):
        fov = cam.find("fov_video").attrib
        it = {k: float(v) for k, v in cam.find("intrinsic").attrib.items()}
        tr = {k: float(v) for k, v in cam.find("transform").attrib.items()}
        K = np.array([[it["focalLengthU"] / 64, 0, it["centerPointU"] / 64 - float(fov["left"])],
                      [0, it["focalLengthV"] / 64, it["centerPointV"] / 64 - float(fov["top"])], [0, 0, 1]])
        dist = np.array([it["radialDistortion1"], it["radialDistortion2"],
                         it["tangentalDistortion1"], it["tangentalDistortion2"]]) / 64
        M = np.array([[tr[f"r{i}{j}"] for j in (1, 2, 3)] for i in (1, 2, 3)])  # as Pose2Sim reads it: rows r1*, r2*, r3*
        position = np.array([tr["x"], tr["y"], tr["z"]]) / 1000
        R = flip @ M  # Pose2Sim: world_to_camera_persp (r = M, t = -M p), then rotate_cam by pi about x
        views.append(View(cam.attrib["serial"], K, dist, R, -R @ position))
    return sorted(views, key=lambda v: v.name)


def triangulate(views: list[View], xy: list[np.ndarray], weight: list[np.ndarray]) -> np.ndarray:
    """Weighted DLT per point: xy[v] (..., 2) undistorted pixels, weight[v] (...) (0 or NaN xy = unused).
    Returns (..., 3) world points, NaN where fewer than two views take part."""
    shape = np.shape(xy[0])[:-1]
    rows = []
    for view, p, w in zip(views, xy, weight):
        P = view.K @ np.hstack([view.R, view.t[:, None]])
        p = np.asarray(p, float).reshape(-1, 2)
        w = np.where(np.isfinite(p[:, 0]), np.asarray(w, float).reshape(-1), 0.0)
        p = np.nan_to_num(p)
        rows.append(w[:, None] * (p[:, 0:1] * P[2] - P[0]))
        rows.append(w[:, None] * (p[:, 1:2] * P[2] - P[1]))
    A = np.stack(rows, axis=1)  # (N, 2V, 4)
    _, _, vt = np.linalg.svd(A)
    X = vt[:, -1]
    out = X[:, :3] / X[:, 3:4]
    used = (np.stack([np.asarray(w).reshape(-1) for w in weight], 1) > 0) & \
        np.stack([np.isfinite(np.asarray(p).reshape(-1, 2)[:, 0]) for p in xy], 1)
    out[used.sum(axis=1) < 2] = np.nan
    return out.reshape(shape + (3,))
