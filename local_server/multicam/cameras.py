# SPDX-License-Identifier: GPL-3.0-or-later
"""A calibrated camera (OpenCV pinhole model) and the TOML/JSON layouts a volume's cameras are kept in.

The TOML layout is the one Pose2Sim and anipose read: one table per camera with name, size,
matrix, distortions (k1, k2, p1, p2), rotation (Rodrigues vector, world -> camera) and translation
(metres, world -> camera), then a [metadata] table. The world is Z up with the floor at Z = 0.
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


def rodrigues_to_matrix(rvec) -> np.ndarray:
    r = np.asarray(rvec, dtype=np.float64).reshape(3)
    angle = float(np.linalg.norm(r))
    if angle < 1e-12:
        return np.eye(3)
    k = r / angle
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * kx + (1 - np.cos(angle)) * kx @ kx


def matrix_to_rodrigues(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    cos = np.clip((np.trace(m) - 1) / 2, -1.0, 1.0)
    angle = float(np.arccos(cos))
    if angle < 1e-9:
        return np.zeros(3)
    if np.pi - angle < 1e-6:  # 180 degrees: the axis from the symmetric part
        axis = np.sqrt(np.maximum((np.diag(m) + 1) / 2, 0))
        i = int(np.argmax(axis))
        axis[np.arange(3) != i] = (m[i, np.arange(3) != i] + m[np.arange(3) != i, i]) / (4 * axis[i])
        return axis / np.linalg.norm(axis) * angle
    axis = np.array([m[2, 1] - m[1, 2], m[0, 2] - m[2, 0], m[1, 0] - m[0, 1]]) / (2 * np.sin(angle))
    return axis * angle


@dataclass
class CameraModel:
    name: str
    size: tuple[int, int]  # width, height in pixels
    matrix: np.ndarray  # 3x3 intrinsics
    rotation: np.ndarray  # 3x3, world -> camera
    translation: np.ndarray  # (3,), world -> camera, metres
    distortions: np.ndarray = field(default_factory=lambda: np.zeros(4))  # k1, k2, p1, p2

    @property
    def center(self) -> np.ndarray:
        """The camera's position in the world."""
        return -self.rotation.T @ self.translation

    @property
    def focal(self) -> float:
        return float((self.matrix[0, 0] + self.matrix[1, 1]) / 2)

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) -> pixels (..., 2), with the lens distortion applied."""
        cam = points @ self.rotation.T + self.translation
        xy = cam[..., :2] / cam[..., 2:3]
        k1, k2, p1, p2 = (list(self.distortions) + [0.0] * 4)[:4]
        if k1 or k2 or p1 or p2:
            x, y = xy[..., 0], xy[..., 1]
            r2 = x * x + y * y
            radial = 1 + k1 * r2 + k2 * r2 * r2
            xy = np.stack([x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x),
                           y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y], axis=-1)
        k = self.matrix
        return np.stack([k[0, 0] * xy[..., 0] + k[0, 2], k[1, 1] * xy[..., 1] + k[1, 2]], axis=-1)

    def depth(self, points: np.ndarray) -> np.ndarray:
        return (points @ self.rotation.T + self.translation)[..., 2]

    def normalized(self, pixels: np.ndarray) -> np.ndarray:
        """Pixels (..., 2) -> undistorted normalised image coordinates (x/z, y/z)."""
        k = self.matrix
        xy = np.stack([(pixels[..., 0] - k[0, 2]) / k[0, 0], (pixels[..., 1] - k[1, 2]) / k[1, 1]], axis=-1)
        k1, k2, p1, p2 = (list(self.distortions) + [0.0] * 4)[:4]
        if not (k1 or k2 or p1 or p2):
            return xy
        und = xy.copy()
        for _ in range(8):  # fixed-point inversion, as OpenCV's undistortPoints does
            x, y = und[..., 0], und[..., 1]
            r2 = x * x + y * y
            radial = 1 + k1 * r2 + k2 * r2 * r2
            dx = 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
            dy = p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
            und = np.stack([(xy[..., 0] - dx) / radial, (xy[..., 1] - dy) / radial], axis=-1)
        return und

    def as_dict(self) -> dict:
        """The JSON form kept in a volume's metadata (same values as the TOML)."""
        return {
            "name": self.name,
            "size": [int(self.size[0]), int(self.size[1])],
            "matrix": [[float(v) for v in row] for row in self.matrix],
            "distortions": [float(v) for v in self.distortions],
            "rotation": [float(v) for v in matrix_to_rodrigues(self.rotation)],
            "translation": [float(v) for v in self.translation],
        }

    @classmethod
    def from_dict(cls, d: dict, name: str | None = None) -> "CameraModel":
        return cls(name=name or d.get("name", "camera"), size=tuple(int(v) for v in d["size"]),
                   matrix=np.asarray(d["matrix"], dtype=np.float64),
                   rotation=rodrigues_to_matrix(d["rotation"]),
                   translation=np.asarray(d["translation"], dtype=np.float64),
                   distortions=np.asarray(d.get("distortions", [0, 0, 0, 0]), dtype=np.float64))


def _toml_key(name: str) -> str:
    return json.dumps(name)  # a quoted key is valid TOML for any label


def _floats(values) -> str:
    return "[ " + ", ".join(repr(float(v)) for v in values) + "]"


def write_toml(cameras: list[CameraModel], path: Path, error_px: float | None = None) -> Path:
    """Cameras in Pose2Sim's calibration layout (tables keyed by camera name, then [metadata])."""
    lines = []
    for cam in cameras:
        d = cam.as_dict()
        lines += [
            f"[{_toml_key(cam.name)}]",
            f"name = {json.dumps(cam.name)}",
            f"size = [ {d['size'][0]}, {d['size'][1]}]",
            "matrix = [ " + ", ".join(_floats(row) for row in d["matrix"]) + "]",
            f"distortions = {_floats(d['distortions'])}",
            f"rotation = {_floats(d['rotation'])}",
            f"translation = {_floats(d['translation'])}",
            "fisheye = false",
            "",
        ]
    lines += ["[metadata]", "adjusted = false", f"error = {float(error_px or 0.0)!r}", ""]
    path = Path(path)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def read_toml(path: Path) -> list[CameraModel]:
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return [CameraModel.from_dict(v, name=v.get("name", k)) for k, v in data.items() if k != "metadata"]
