# SPDX-License-Identifier: GPL-3.0-or-later
"""Depth ambiguity: a limb pointing at the camera looks short whether it is straight or bent; what
MediaPipe saw of the bend settles it, so a bent arm is not straightened."""
from __future__ import annotations

import numpy as np

from local_server.mocap import pose_tracking as P
from local_server.mocap.lifting import Camera, joint_angle, lift
from mocap_synthetic import CX, CY, FOCAL, skeleton, track_of

FRAMES = 30


def test_an_arm_bent_toward_the_camera_keeps_its_bend():
    # Arm down for a moment (so its length is known), then the upper arm toward the camera and the
    # forearm bent up by 60 degrees: in the picture the whole arm looks a fifth of its length.
    moved = np.arange(FRAMES) >= 6
    world = skeleton(FRAMES, arm_swing_deg=np.where(moved, 75.0, 0.0), elbow_deg=np.where(moved, 60.0, 0.0))
    truth = joint_angle(world[:, P.L_SHOULDER], world[:, P.L_ELBOW], world[:, P.L_WRIST])
    joints = lift(track_of(world), Camera(FOCAL, CX, CY)).joints
    elbow = joint_angle(joints[:, P.L_SHOULDER], joints[:, P.L_ELBOW], joints[:, P.L_WRIST])
    held = slice(9, None)  # past the smoothing of the move
    assert np.abs(elbow[held] - truth[held]).max() < 8.0, f"elbow {elbow[held].mean():.0f} deg, truly {truth[10]:.0f}"


def test_a_body_in_profile_the_whole_take_keeps_its_width():
    # Walking in profile: the hip and shoulder lines point at the camera in every frame, so their
    # lengths can only come from MediaPipe's world, whose depth is flattened (halved here, as it does).
    swing = 30 * np.sin(np.linspace(0, 4 * np.pi, FRAMES))
    world = skeleton(FRAMES, yaw_deg=90.0, arm_swing_deg=swing, knee_deg=np.abs(swing))
    joints = lift(track_of(world, flatten=0.5), Camera(FOCAL, CX, CY)).joints
    spine = np.linalg.norm((joints[:, P.L_SHOULDER] + joints[:, P.R_SHOULDER]) / 2
                           - (joints[:, P.L_HIP] + joints[:, P.R_HIP]) / 2, axis=-1)
    true_spine = np.linalg.norm((world[:, P.L_SHOULDER] + world[:, P.R_SHOULDER]) / 2
                                - (world[:, P.L_HIP] + world[:, P.R_HIP]) / 2, axis=-1)
    for a, b in ((P.L_SHOULDER, P.R_SHOULDER), (P.L_HIP, P.R_HIP)):
        width = np.median(np.linalg.norm(joints[:, a] - joints[:, b], axis=-1) / spine)
        true_width = np.median(np.linalg.norm(world[:, a] - world[:, b], axis=-1) / true_spine)
        assert width > 0.8 * true_width, f"width {width:.2f} spines, truly {true_width:.2f}"
        # and the near side is the one nearer the camera (the body's right, turned 90 degrees left)
        assert np.median(joints[:, b, 2] - joints[:, a, 2]) < 0


def test_a_squat_keeps_its_feet_on_the_floor_when_mediapipe_turns_the_shins_toward_the_camera():
    # Standing, then squatting (both knees 80 degrees, hips lowered so the feet stay on the floor),
    # turned 30 degrees. MediaPipe flattens the shins' depth and gets its sign wrong: the ankles
    # nearer the camera than the knees, the feet floating in front. The feet stay still in the picture.
    bend = np.where(np.arange(FRAMES) >= 8, 80.0, 0.0)
    drop = -0.87 * (1 - np.cos(np.radians(bend / 2)))
    world = skeleton(FRAMES, yaw_deg=30.0, knee_deg=bend, lift_m=drop, both_knees=True)
    track = track_of(world)
    for knee, ankle, heel, toe in ((P.L_KNEE, P.L_ANKLE, P.L_HEEL, P.L_FOOT), (P.R_KNEE, P.R_ANKLE, P.R_HEEL, P.R_FOOT)):
        wrong = 2 * track.world[:, knee, 2] - track.world[:, ankle, 2] - track.world[:, ankle, 2]
        for j in (ankle, heel, toe):  # the foot moves with the mirrored ankle
            track.world[:, j, 2] += wrong
    truth = joint_angle(world[:, P.L_HIP], world[:, P.L_KNEE], world[:, P.L_ANKLE])
    joints = lift(track, Camera(FOCAL, CX, CY)).joints
    for hip, knee, ankle in ((P.L_HIP, P.L_KNEE, P.L_ANKLE), (P.R_HIP, P.R_KNEE, P.R_ANKLE)):
        angle = joint_angle(joints[:, hip], joints[:, knee], joints[:, ankle])
        held = slice(12, None)
        assert np.abs(angle[held] - truth[held]).max() < 12.0, f"knee {angle[held].mean():.0f} deg, truly {truth[20]:.0f}"


def test_a_forearm_mediapipe_tilts_slightly_the_wrong_way_is_not_bent_the_wrong_way():
    # Walking turned 45 degrees, arms swinging briskly, elbows bent 10 degrees. While the near arm
    # swings forward (toward the camera, ~35 degrees out of the image plane) MediaPipe's world tilts
    # the forearm slightly away, a fifth of its length (its depth sign on the rendered profile walk's
    # forearms); the 2D forearm looks shortened, so taking that sign reads as an elbow bent ~50
    # degrees the wrong way.
    frames = 60
    swing = 60 * np.sin(np.linspace(0, 4 * np.pi, frames))
    world = skeleton(frames, yaw_deg=-45.0, arm_swing_deg=swing, elbow_deg=10.0)
    track = track_of(world)
    el, wr = P.L_ELBOW, P.L_WRIST
    forward = swing > 30
    length = np.linalg.norm(track.world[:, wr] - track.world[:, el], axis=-1)
    dz = track.world[:, wr, 2] - track.world[:, el, 2]
    for j in (wr, P.L_INDEX, P.L_PINKY, P.L_THUMB):  # the hand moves with the wrist
        track.world[forward, j, 2] += (0.2 * length - dz)[forward]
    truth = joint_angle(world[:, P.L_SHOULDER], world[:, el], world[:, wr])
    joints = lift(track, Camera(FOCAL, CX, CY)).joints
    elbow = joint_angle(joints[:, P.L_SHOULDER], joints[:, el], joints[:, wr])
    err = np.abs(elbow - truth)[forward]
    assert np.median(err) < 5.0, f"elbow off by {np.median(err):.0f} deg (median) while the arm swings forward"
