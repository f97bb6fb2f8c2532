# SPDX-License-Identifier: GPL-3.0-or-later
"""Pose2Sim's four-camera demos (BSD-3, in the pose2sim wheel on PyPI): videos and the lab calibration."""
from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np

from local_server.mocap.sample_clips import _wheel, default_cache_dir
from local_server.multicam.cameras import CameraModel

DEMOS = ("Demo_SinglePerson", "Demo_MultiPerson")
CAMERAS = ("cam01", "cam02", "cam03", "cam04")
CALIBRATION = "Pose2Sim/Demo_SinglePerson/calibration/Calib.qca.txt"  # the lab's, shared by both demos


def _extract(member: str, cache_dir: Path) -> Path:
    target = cache_dir / "pose2sim" / member
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_suffix(target.suffix + ".part")
        with zipfile.ZipFile(_wheel(cache_dir)) as zf, zf.open(member) as src, open(part, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        part.replace(target)
    return target


def demo_videos(demo: str, cache_dir: Path | None = None) -> list[Path]:
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    return [_extract(f"Pose2Sim/{demo}/videos/{cam}.mp4", cache_dir) for cam in CAMERAS]


def lab_cameras(cache_dir: Path | None = None) -> list[CameraModel]:
    """The lab's Qualisys calibration as OpenCV cameras (Pose2Sim's own conversion: world -> camera,
    then a half turn about the camera's X axis, distortion and pixels divided by 64)."""
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    root = ET.parse(_extract(CALIBRATION, cache_dir)).getroot()
    flip = np.diag([1.0, -1.0, -1.0])
    cams = []
    for tag in root.findall("cameras/camera"):
        fov = tag.find("fov_video").attrib
        w = int(float(fov["right"]) - float(fov["left"]) + 1)
        h = int(float(fov["bottom"]) - float(fov["top"]) + 1)
        intr = {k: float(v) for k, v in tag.find("intrinsic").attrib.items()}
        k = np.array([[intr["focalLengthU"] / 64, 0, intr["centerPointU"] / 64 - float(fov["left"])],
                      [0, intr["focalLengthV"] / 64, intr["centerPointV"] / 64 - float(fov["top"])], [0, 0, 1]])
        dist = np.array([intr["radialDistortion1"], intr["radialDistortion2"], intr["tangentalDistortion1"],
                         intr["tangentalDistortion2"]]) / 64
        tr = {k_: float(v) for k_, v in tag.find("transform").attrib.items()}
        r = np.array([[tr[f"r{i}{j}"] for j in (1, 2, 3)] for i in (1, 2, 3)]).T  # Pose2Sim reads by column
        t = np.array([tr["x"], tr["y"], tr["z"]]) / 1000
        r_cam, t_cam = r.T, -r.T @ t  # Qualisys gives the camera in the world; OpenCV wants the inverse
        cams.append(CameraModel(tag.attrib["serial"], (w, h), k, flip @ r_cam, flip @ t_cam, dist))
    return sorted(cams, key=lambda c: c.name)
