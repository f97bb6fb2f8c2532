# SPDX-License-Identifier: GPL-3.0-or-later
"""Multicam on a clip rendered with bpy from three cameras with known intrinsics, poses and joints:
MediaPipe's keypoints of the rendered figure, the cameras calibrated from it, and joints triangulated.

Rendering takes about a minute (Workbench, 40 frames x 3 cameras at 320x240): one render per run.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.multicam.compare import compare_cameras
from local_server.mocap import pose_tracking as P
from local_server.mocap.lifting import joint_angle
from local_server.multicam.calibration import calibrate
from local_server.multicam.cameras import CameraModel
from local_server.multicam.triangulation import fix_left_right, triangulate
from local_server.multicam.views import track_views

#: Rigify's joints (the truth) and the MediaPipe keypoints nearest to them.
JOINTS = {"LeftShoulder": P.L_SHOULDER, "RightShoulder": P.R_SHOULDER, "LeftElbow": P.L_ELBOW,
          "RightElbow": P.R_ELBOW, "LeftWrist": P.L_WRIST, "RightWrist": P.R_WRIST, "LeftHip": P.L_HIP,
          "RightHip": P.R_HIP, "LeftKnee": P.L_KNEE, "RightKnee": P.R_KNEE, "LeftAnkle": P.L_ANKLE,
          "RightAnkle": P.R_ANKLE}

pytestmark = pytest.mark.slow  # a clip rendered from three cameras with bpy, then MediaPipe on each: about a minute


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("multicam-render")
    script = Path(__file__).resolve().parent / "multicam_render.py"
    done = subprocess.run([sys.executable, str(script), str(out)], capture_output=True, text=True, timeout=480)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    described = json.loads((out / "cameras.json").read_text())
    cameras = [CameraModel(name, tuple(c["size"]), np.array(c["matrix"]), np.array(c["rotation_matrix"]),
                           np.array(c["translation"])) for name, c in described.items()]
    truth = np.load(out / "truth.npz")
    views = track_views([(c.name, out / f"{c.name}.mp4") for c in cameras], None, None)
    xy, conf = np.stack([v.xy for v in views]), np.stack([v.conf for v in views])
    return cameras, truth, xy, conf


def _knee_angles(get):
    return np.stack([joint_angle(get(f"{s}Hip"), get(f"{s}Knee"), get(f"{s}Ankle")) for s in ("Left", "Right")])


def test_triangulation_with_the_true_cameras_matches_the_rendered_joints(rendered):
    cameras, truth, xy, conf = rendered
    assert (np.isfinite(xy[:, :, 0, 0]).sum(axis=1) >= 35).all()  # MediaPipe finds the figure in every view
    xy, conf, _ = fix_left_right(cameras, np.nan_to_num(xy), conf)
    tri = triangulate(cameras, xy, conf)
    assert np.nanmedian(tri.error_px) < 3.0
    names = list(truth["joint_names"])
    for name, j in JOINTS.items():  # Rigify's bone heads and MediaPipe's keypoints sit a few cm apart
        err = np.linalg.norm(tri.points[:, j] - truth["joints"][:, names.index(name)], axis=-1)
        assert np.nanmedian(err) < 0.10, (name, np.nanmedian(err))
    knees = np.abs(_knee_angles(lambda n: tri.points[:, JOINTS[n]])
                   - _knee_angles(lambda n: truth["joints"][:, names.index(n)]))
    assert np.nanmean(knees) < 6.0


def test_calibration_from_the_rendered_figure_recovers_the_cameras(rendered):
    cameras, truth, xy, conf = rendered
    cal = calibrate([c.name for c in cameras], [c.size for c in cameras], xy, conf, human_height=1.85)
    cmp = compare_cameras(cal.cameras, cameras)
    for name, c in cmp["cameras"].items():
        assert c["centre_m"] < 0.20, (name, c)  # cameras 4.4-5 m away
        assert c["orientation_deg"] < 2.0, (name, c)
        assert abs(c["focal_ratio"] - 1) < 0.05, (name, c)
    for est, true in zip(cal.cameras, cameras):  # metres over the floor, from humanHeight and the feet
        assert abs(est.center[2] - true.center[2]) < 0.25, (est.name, est.center, true.center)
