# SPDX-License-Identifier: GPL-3.0-or-later
"""The geometry of the capture, without MediaPipe: 2D points of a known skeleton through a known camera,
with depth flattened the way MediaPipe's world landmarks flatten it, come back with the true angles."""
from __future__ import annotations

import numpy as np
import pytest

from local_server import rig
from local_server.kinematics import forward_kinematics, quat_from_axis_angle
from local_server.mocap import pose_tracking as P
from local_server.mocap.lifting import Camera, joint_angle, lift
from local_server.mocap.pipeline import motion_from_track
from local_server.motion import Motion

FRAMES = 24
CAMERA = Camera(focal=800.0, cx=320.0, cy=240.0)
BEND = np.linspace(5.0, 95.0, FRAMES)  # degrees: the left forearm turns toward the camera
KNEE = np.linspace(0.0, 60.0, FRAMES)  # degrees: the right shin swings back, away from the camera


def _truth_motion() -> Motion:
    names = [b.name for b in rig.MOVE_BONES]
    rot = np.zeros((FRAMES, len(names), 4))
    rot[..., 0] = 1.0
    forearm = quat_from_axis_angle(np.tile([0.0, 0.0, 1.0], (FRAMES, 1)), -np.radians(BEND))  # +X toward -Y
    shin = quat_from_axis_angle(np.tile([1.0, 0.0, 0.0], (FRAMES, 1)), np.radians(KNEE))
    for n in ("LeftForeArm", "LeftHand") + tuple(b.name for b in rig.FINGER_BONES if b.name.startswith("Left")):
        rot[:, names.index(n)] = forearm
    for n in ("RightLeg", "RightFoot", "RightToeBase"):
        rot[:, names.index(n)] = shin
    return Motion(30.0, names, np.tile(rig.BONES_BY_NAME["Hips"].head, (FRAMES, 1)), rot)


def _landmarks(motion: Motion) -> np.ndarray:
    """MediaPipe's 33 landmarks (F, 33, 3) in Blender world coordinates, placed on the rig."""
    heads, tails = forward_kinematics(motion)
    at = {n: i for i, n in enumerate(motion.bone_names)}
    lm = np.zeros((FRAMES, 33, 3))
    for s, side in (("L", "Left"), ("R", "Right")):
        lm[:, getattr(P, f"{s}_SHOULDER")] = heads[:, at[f"{side}Arm"]]
        lm[:, getattr(P, f"{s}_ELBOW")] = heads[:, at[f"{side}ForeArm"]]
        lm[:, getattr(P, f"{s}_WRIST")] = heads[:, at[f"{side}Hand"]]
        lm[:, getattr(P, f"{s}_INDEX")] = heads[:, at[f"{side}HandIndex1"]]
        lm[:, getattr(P, f"{s}_PINKY")] = heads[:, at[f"{side}HandPinky1"]]
        lm[:, getattr(P, f"{s}_THUMB")] = heads[:, at[f"{side}HandThumb2"]]
        lm[:, getattr(P, f"{s}_HIP")] = heads[:, at[f"{side}UpLeg"]]
        lm[:, getattr(P, f"{s}_KNEE")] = heads[:, at[f"{side}Leg"]]
        lm[:, getattr(P, f"{s}_ANKLE")] = heads[:, at[f"{side}Foot"]]
        lm[:, getattr(P, f"{s}_FOOT")] = tails[:, at[f"{side}ToeBase"]]
        lm[:, getattr(P, f"{s}_HEEL")] = heads[:, at[f"{side}Foot"]] + (0.0, 0.03, -0.08)
    head = heads[:, at["Head"]]
    lm[:, P.L_EAR] = head + (0.08, 0.0, 0.08)
    lm[:, P.R_EAR] = head + (-0.08, 0.0, 0.08)
    for i in range(0, 7):
        lm[:, i] = head + (0.0, -0.1, 0.07)
    lm[:, 9:11] = (head + (0.0, -0.09, 0.02))[:, None]
    return lm


def _track(lm_world: np.ndarray, flatten: float) -> P.PoseTrack:
    cam = np.stack([lm_world[..., 0], -(lm_world[..., 2] - 1.0), lm_world[..., 1] + 4.0], -1)  # camera at Y=-4
    xy = np.stack([CAMERA.focal * cam[..., 0] / cam[..., 2] + CAMERA.cx,
                   CAMERA.focal * cam[..., 1] / cam[..., 2] + CAMERA.cy], -1)
    hips = (cam[:, P.L_HIP] + cam[:, P.R_HIP]) / 2
    world = cam - hips[:, None]
    world[..., 2] *= flatten  # MediaPipe-like: depth squashed toward the hips' plane
    return P.PoseTrack(fps=30.0, width=640, height=480, start_frame=0, image_xy=xy, visibility=np.ones((FRAMES, 33)),
                       world=world)


@pytest.fixture(scope="module")
def scene():
    truth = _landmarks(_truth_motion())
    return truth, _track(truth, flatten=0.5)


def _elbow(lm):
    return joint_angle(lm[:, P.L_SHOULDER], lm[:, P.L_ELBOW], lm[:, P.L_WRIST])


def _knee(lm):
    return joint_angle(lm[:, P.R_HIP], lm[:, P.R_KNEE], lm[:, P.R_ANKLE])


def test_flattened_depth_alone_gets_the_bends_wrong(scene):
    truth, track = scene
    assert np.abs(_elbow(track.world) - _elbow(truth)).mean() > 10.0
    assert np.abs(_knee(track.world) - _knee(truth)).mean() > 5.0


def test_lifting_recovers_the_true_angles(scene):
    truth, track = scene
    lifted = lift(track, CAMERA).joints
    assert np.abs(_elbow(lifted) - _elbow(truth)).mean() < 3.0
    assert np.abs(_knee(lifted) - _knee(truth)).mean() < 3.0
    # and it bends toward the camera, not away: the wrist is nearer than the elbow at the end
    assert lifted[-1, P.L_WRIST, 2] < lifted[-1, P.L_ELBOW, 2] - 0.15


def test_the_rig_bends_like_the_person(scene):
    truth, track = scene
    motion, lifted = motion_from_track(track, CAMERA)
    heads, _ = forward_kinematics(motion)
    at = {n: i for i, n in enumerate(motion.bone_names)}
    elbow = joint_angle(heads[:, at["LeftArm"]], heads[:, at["LeftForeArm"]], heads[:, at["LeftHand"]])
    knee = joint_angle(heads[:, at["RightUpLeg"]], heads[:, at["RightLeg"]], heads[:, at["RightFoot"]])
    # the rig copies the lifted joints' angles exactly, and so is as close to the truth as the lift
    assert np.abs(elbow - _elbow(lifted.joints)).max() < 1.0
    assert np.abs(knee - _knee(lifted.joints)).max() < 1.0
    assert np.abs(elbow - _elbow(truth)).mean() < 3.0 and np.abs(knee - _knee(truth)).mean() < 3.0
    # the forearm points at the camera (-Y) in the rig as in the picture, and the hips stay over the floor
    forearm = heads[-1, at["LeftHand"]] - heads[-1, at["LeftForeArm"]]
    assert forearm[1] < -0.8 * np.linalg.norm(forearm)
    assert abs(motion.root_positions[0, 2] - rig.BONES_BY_NAME["Hips"].head[2]) < 0.05


def _noisy(track: P.PoseTrack, pixels: float, seed: int) -> P.PoseTrack:
    noisy = P.PoseTrack(**{**track.__dict__})
    noisy.image_xy = track.image_xy + np.random.default_rng(seed).normal(0.0, pixels, track.image_xy.shape)
    return noisy


def test_noisy_2d_leaves_straight_limbs_straight_and_keeps_the_bends(scene):
    # MediaPipe's 2D points wander by a few pixels; a bone-by-bone lift reads that as 15-20 degree
    # bends in straight limbs (and too-long bones from the noisy lengths). The right arm and the
    # left leg stay straight in this scene; the left elbow and right knee still bend.
    truth, track = scene
    lifted = lift(_noisy(track, 4.0, seed=1), CAMERA).joints
    right_elbow = joint_angle(lifted[:, P.R_SHOULDER], lifted[:, P.R_ELBOW], lifted[:, P.R_WRIST])
    left_knee = joint_angle(lifted[:, P.L_HIP], lifted[:, P.L_KNEE], lifted[:, P.L_ANKLE])
    true_right_elbow = joint_angle(truth[:, P.R_SHOULDER], truth[:, P.R_ELBOW], truth[:, P.R_WRIST])
    true_left_knee = joint_angle(truth[:, P.L_HIP], truth[:, P.L_KNEE], truth[:, P.L_ANKLE])
    assert np.abs(right_elbow - true_right_elbow).mean() < 8.0
    assert np.abs(left_knee - true_left_knee).mean() < 5.0
    assert np.abs(_elbow(lifted) - _elbow(truth)).mean() < 14.0
    assert np.abs(_knee(lifted) - _knee(truth)).mean() < 8.0


def test_an_arm_pointing_at_the_camera_stays_straight_when_its_elbow_goes_astray():
    # With the arm pointing at the camera the elbow hides behind the hand, and MediaPipe puts its 2D
    # point 12-17 px off, near the shoulder; taken at face value that reads as a 40 degree bend.
    # The take starts with the arm out to the side for a few frames (as takes do), so the arm's length
    # is known; then it points 15 degrees off the camera's axis.
    names = [b.name for b in rig.MOVE_BONES]
    motion = _truth_motion()
    out_first = 6
    angle = np.where(np.arange(FRAMES) < out_first, 0.0, 75.0)
    turn = quat_from_axis_angle(np.tile([0.0, 0.0, 1.0], (FRAMES, 1)), np.radians(angle))
    for n in names:
        if n.startswith("Right") and ("Arm" in n or "Hand" in n):
            motion.rotations[:, names.index(n)] = turn
    truth = _landmarks(motion)
    track = _track(truth, flatten=0.5)
    true_elbow = joint_angle(truth[:, P.R_SHOULDER], truth[:, P.R_ELBOW], truth[:, P.R_WRIST])
    assert true_elbow.min() > 175.0
    shoulder, elbow = track.image_xy[:, P.R_SHOULDER], track.image_xy[:, P.R_ELBOW]
    astray = elbow + (shoulder - elbow) / np.linalg.norm(shoulder - elbow, axis=-1, keepdims=True) * 15.0
    track.image_xy[out_first:, P.R_ELBOW] = astray[out_first:]
    pointing = slice(out_first + 3, None)  # past the smoothing of the turn
    lifted = lift(track, CAMERA).joints[pointing]
    right_elbow = joint_angle(lifted[:, P.R_SHOULDER], lifted[:, P.R_ELBOW], lifted[:, P.R_WRIST])
    taken_at_face_value = lift(track, CAMERA, hidden_mid_sigma=0.0).joints[pointing]
    face_value = joint_angle(taken_at_face_value[:, P.R_SHOULDER], taken_at_face_value[:, P.R_ELBOW],
                             taken_at_face_value[:, P.R_WRIST])
    assert face_value.mean() < 160.0
    assert right_elbow.mean() > 170.0
