# SPDX-License-Identifier: GPL-3.0-or-later
"""The MOTION_DATA zip: Move's JSON layout, positions from forward kinematics, local Euler XYZ rotations."""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from local_server.export import export_motion
from local_server.kinematics import forward_kinematics, quat_from_axis_angle, quat_multiply
from local_server.motion import Motion
from local_server.export.motion_data import JOINTS, quat_to_euler_xyz, write_motion_data
from local_server.processors.reference import synthetic_motion

MOVE_JOINTS = {"Root", "Spine1", "Spine2", "Neck"} | {
    f"{side}_{j}" for side in ("Left", "Right")
    for j in ("hip", "knee", "ankle", "toe", "shoulder_rotation", "elbow", "wrist")}


def _euler_to_quat(e: np.ndarray) -> np.ndarray:
    """Independent rebuild: R = Rz(z) · Ry(y) · Rx(x)."""
    about = lambda axis, a: quat_from_axis_angle(np.broadcast_to(axis, a.shape + (3,)), a)  # noqa: E731
    return quat_multiply(about([0, 0, 1.0], e[..., 2]),
                         quat_multiply(about([0, 1.0, 0], e[..., 1]), about([1.0, 0, 0], e[..., 0])))


@pytest.fixture(scope="module")
def motion() -> Motion:
    """The reference exercise with the hips turning too (about a tilted axis), so Root has a rotation."""
    motion = synthetic_motion(fps=30.0, frame_count=45, start_time=0.5)
    angles = np.linspace(-0.6, 0.6, motion.frame_count)
    motion.rotations[:, 0] = quat_from_axis_angle(np.broadcast_to([0.2, 0.1, 1.0], (motion.frame_count, 3)), angles)
    return motion


@pytest.fixture(scope="module")
def actor(motion, tmp_path_factory):
    path = tmp_path_factory.mktemp("md") / "take_motion_data.zip"
    write_motion_data(motion, path)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["actor_1.json"]
        return json.loads(archive.read("actor_1.json"))


def test_layout_is_moves(actor, motion):
    samples = actor["mocap_data"]
    assert len(samples) == motion.frame_count
    assert [s["timestamp"] for s in samples[:3]] == ["0.0", "0.033333", "0.066667"]
    assert actor["fps"] == 30.0 and actor["start_time"] == pytest.approx(0.5)
    for sample in (samples[0], samples[-1]):
        assert set(sample["joint_data"]) == MOVE_JOINTS
        for joint in sample["joint_data"].values():
            assert joint["type"] == "euler_xyz"
            assert len(joint["position"]) == 3 and len(joint["rotations"]) == 3
            assert joint["torques"] == [0.0, 0.0, 0.0] and joint["reaction_forces"] == 0.0


def test_positions_are_the_kinematic_joints(actor, motion):
    heads, _ = forward_kinematics(motion)
    column = {n: i for i, n in enumerate(motion.bone_names)}
    for f in (0, 22, 44):
        for joint, bone in JOINTS.items():
            got = actor["mocap_data"][f]["joint_data"][joint]["position"]
            assert got == pytest.approx(heads[f, column[bone]], abs=2e-6), (f, joint)
    # Z is up: the hips sit about a metre above the toes.
    first = actor["mocap_data"][0]["joint_data"]
    assert first["Root"]["position"][2] - first["Left_toe"]["position"][2] > 0.8


def test_rotations_are_local_to_the_parent(actor, motion):
    column = {n: i for i, n in enumerate(motion.bone_names)}
    rot = motion.rotations
    for f in (7, 30):
        data = actor["mocap_data"][f]["joint_data"]
        # elbow: forearm relative to upper arm; rebuilt from the angles it must give R_arm^-1 R_forearm.
        rebuilt = _euler_to_quat(np.array(data["Left_elbow"]["rotations"]))
        expected = quat_multiply(rot[f, column["LeftArm"]] * [1, -1, -1, -1], rot[f, column["LeftForeArm"]])
        assert abs(float(np.dot(rebuilt, expected))) == pytest.approx(1.0, abs=1e-6)
        # Root reports the hips' own turn in the world.
        root = _euler_to_quat(np.array(data["Root"]["rotations"]))
        assert np.linalg.norm(data["Root"]["rotations"]) > 0.1
        assert abs(float(np.dot(root, rot[f, column["Hips"]]))) == pytest.approx(1.0, abs=1e-6)


def test_euler_conversion_round_trips_including_large_angles():
    rng = np.random.default_rng(3)
    q = rng.normal(size=(500, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    back = _euler_to_quat(quat_to_euler_xyz(q))
    assert np.abs(np.sum(back * q, axis=1)) == pytest.approx(np.ones(500), abs=1e-6)


def test_export_motion_names_the_zip_and_writes_several_actors(motion, tmp_path):
    files = export_motion(motion, tmp_path, ["MOTION_DATA"], name="job-1")
    assert files == {"MOTION_DATA": tmp_path / "job-1_motion_data.zip"}
    two = write_motion_data([motion, motion], tmp_path / "two.zip")
    with zipfile.ZipFile(two) as archive:
        assert archive.namelist() == ["actor_1.json", "actor_2.json"]
