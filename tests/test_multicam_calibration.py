# SPDX-License-Identifier: GPL-3.0-or-later
"""Calibration from the person on synthetic keypoints with known cameras: what a volume reports."""
from __future__ import annotations

import numpy as np
import pytest

from local_server.multicam.calibration import CalibrationFailed, calibrate
from local_server.multicam.cameras import read_toml, write_toml
from multicam_synthetic import camera_ring, observe, walking_person


def _angle_deg(r: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip((np.trace(r) - 1) / 2, -1, 1))))


@pytest.fixture(scope="module")
def scene():
    cams = camera_ring(4)
    person = walking_person(frames=120, height=1.75)
    xy, conf = observe(cams, person, noise_px=1.5)
    cal = calibrate([c.name for c in cams], [c.size for c in cams], xy, conf, human_height=1.75)
    return cams, person, cal


def test_calibration_recovers_the_cameras_in_metres_over_the_floor(scene):
    truth, _, cal = scene
    # The world the volume reports is its own (first camera along +Y), so compare what does not depend on
    # it: each camera's height over the floor, the distances between cameras, and the focal lengths.
    for est, true in zip(cal.cameras, truth):
        assert abs(est.center[2] - true.center[2]) < 0.05, (est.name, est.center, true.center)
        assert abs(est.focal / true.focal - 1) < 0.02, (est.name, est.focal, true.focal)
    for a in range(4):
        for b in range(a + 1, 4):
            d_est = np.linalg.norm(cal.cameras[a].center - cal.cameras[b].center)
            d_true = np.linalg.norm(truth[a].center - truth[b].center)
            assert abs(d_est - d_true) < 0.06 * d_true
    # Orientation: relative rotations between cameras match the truth.
    for a in range(1, 4):
        rel_est = cal.cameras[a].rotation @ cal.cameras[0].rotation.T
        rel_true = truth[a].rotation @ truth[0].rotation.T
        assert _angle_deg(rel_est @ rel_true.T) < 0.5
    # Z is up: each camera's down axis points at -Z (upright cameras).
    for cam in cal.cameras:
        assert cam.rotation[1] @ np.array([0, 0, 1.0]) < -0.9
    assert cal.reprojection_px < 4.0  # noise of 1.5 px per axis


def test_cameras_toml_in_pose2sim_layout(scene, tmp_path):
    _, _, cal = scene
    path = write_toml(cal.cameras, tmp_path / "cameras.toml", cal.reprojection_px)
    import tomllib

    data = tomllib.loads(path.read_text())
    assert set(data) == {"cam01", "cam02", "cam03", "cam04", "metadata"}
    assert set(data["cam01"]) >= {"name", "size", "matrix", "distortions", "rotation", "translation"}
    assert len(data["cam01"]["rotation"]) == 3 and len(data["cam01"]["matrix"]) == 3
    back = read_toml(path)
    for a, b in zip(back, cal.cameras):
        assert np.allclose(a.rotation, b.rotation, atol=1e-9) and np.allclose(a.translation, b.translation)
        assert np.allclose(a.matrix, b.matrix)


def test_a_camera_that_never_sees_the_person_is_named():
    cams = camera_ring(3)
    xy, conf = observe(cams, walking_person(frames=60))
    conf[2] = 0.0
    with pytest.raises(CalibrationFailed, match="Camera 'cam03' never sees the person"):
        calibrate([c.name for c in cams], [c.size for c in cams], xy, conf, 1.75)


def test_too_few_shared_frames_says_how_many_and_what_to_record():
    cams = camera_ring(3)
    xy, conf = observe(cams, walking_person(frames=60))
    conf[0, 5:] = 0.0  # the first camera loses the person after five frames
    with pytest.raises(CalibrationFailed, match=r"Only 5 frames show the person to every camera"):
        calibrate([c.name for c in cams], [c.size for c in cams], xy, conf, 1.75)


def test_a_telephoto_flat_solution_is_refused_not_handed_out():
    """What a bundle adjustment makes of a person who barely moves (seen on a real recording: focal
    lengths of 8000-30000 px, limbs changing length by half): FAILED with what to record instead."""
    from local_server.multicam.calibration import UNSOLVED, _check_plausible

    cams = camera_ring(3)
    person = walking_person(frames=30)
    _check_plausible(cams, person)  # the true cameras and joints pass
    tele = camera_ring(3, focal=20000.0)
    with pytest.raises(CalibrationFailed, match="walking across the whole area"):
        _check_plausible(tele, person)
    stretched = person.copy()
    centre = person[::2].mean(axis=1, keepdims=True)
    stretched[::2] = centre + 2.0 * (person[::2] - centre)  # every other frame twice the size: limbs cannot
    with pytest.raises(CalibrationFailed) as err:
        _check_plausible(cams, stretched)
    assert str(err.value) == UNSOLVED
