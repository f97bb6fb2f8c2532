# SPDX-License-Identifier: GPL-3.0-or-later
"""Left stays left: MediaPipe's left/right swaps are found and undone, a real turn is left alone,
and the captured body never spins to absorb a swap."""
from __future__ import annotations

import numpy as np

from local_server.mocap import pose_tracking as P
from local_server.mocap.pipeline import motion_from_track
from local_server.mocap.sides import _PAIRS_ARM, _PAIRS_LEG, ALL_PAIRS, _exchange, fix_swaps
from mocap_synthetic import mediapipe_swap, skeleton, track_of

FRAMES = 60


def _walking_in_place():
    return skeleton(FRAMES, yaw_deg=20.0, arm_swing_deg=30 * np.sin(np.linspace(0, 4 * np.pi, FRAMES)),
                    knee_deg=40 * np.abs(np.sin(np.linspace(0, 4 * np.pi, FRAMES))))


def _hips_facing(motion) -> np.ndarray:
    """Per frame, the direction (degrees, about the vertical) of the rig's left hip from its right hip."""
    from local_server.kinematics import forward_kinematics

    heads, _ = forward_kinematics(motion)
    i, j = motion.bone_names.index("LeftUpLeg"), motion.bone_names.index("RightUpLeg")
    d = heads[:, i] - heads[:, j]
    return np.degrees(np.arctan2(d[:, 1], d[:, 0]))


def test_a_whole_body_swap_is_undone():
    truth = track_of(_walking_in_place())
    swapped = mediapipe_swap(truth, slice(20, 35))
    fixed, info = fix_swaps(swapped)
    assert info["bodySwapFrames"] == 15
    np.testing.assert_allclose(fixed.image_xy, truth.image_xy)
    np.testing.assert_allclose(fixed.world, truth.world)


def test_a_swap_of_the_legs_alone_is_undone():
    truth = track_of(_walking_in_place())
    swapped = mediapipe_swap(truth, slice(10, 16), pairs=_PAIRS_LEG, mirror_depth=False)
    fixed, info = fix_swaps(swapped)
    assert info["bodySwapFrames"] == 0 and info["limbSwapFrames"] == 6
    np.testing.assert_allclose(fixed.image_xy, truth.image_xy)


def test_a_real_turn_keeps_its_labels():
    truth = track_of(skeleton(FRAMES, yaw_deg=np.linspace(0.0, 180.0, FRAMES)))
    fixed, info = fix_swaps(truth)
    assert info == {"bodySwapFrames": 0, "limbSwapFrames": 0}
    np.testing.assert_allclose(fixed.image_xy, truth.image_xy)


def test_the_body_does_not_spin_to_absorb_a_swap():
    clean, _ = motion_from_track(track_of(_walking_in_place()))
    motion, _ = motion_from_track(mediapipe_swap(track_of(_walking_in_place()), slice(20, 35)))
    turn = np.abs((_hips_facing(motion) - _hips_facing(clean) + 180) % 360 - 180)
    assert turn.max() < 10, f"the hips turned {turn.max():.0f} deg while MediaPipe had the sides swapped"
    assert motion.metadata["tracking"]["leftRightSwapsFixed"]["bodySwapFrames"] == 15


def test_the_swaps_found_are_reported_with_the_person_still_found_everywhere():
    track = mediapipe_swap(track_of(_walking_in_place()), slice(20, 35))
    track.image_xy[40:43] = np.nan  # MediaPipe lost the person for three frames
    fixed, info = fix_swaps(track)
    assert info["bodySwapFrames"] == 15
    assert np.isnan(fixed.image_xy[40:43]).all() and np.isfinite(fixed.image_xy[43:, P.L_HIP]).all()


def test_a_turn_seen_from_the_back_with_mediapipe_s_labels_is_straightened():
    # Turning on the spot, MediaPipe takes the back for the front from 100 to 260 degrees.
    yaw = np.linspace(0.0, 360.0, FRAMES)
    truth = track_of(skeleton(FRAMES, yaw_deg=yaw, arm_swing_deg=20 * np.sin(np.linspace(0, 6, FRAMES))))
    seen = mediapipe_swap(truth, np.flatnonzero((yaw > 100) & (yaw < 260)))
    seen.image_xy += np.random.default_rng(0).normal(0, 2.0, seen.image_xy.shape)
    fixed, info = fix_swaps(seen)
    near_own = (np.linalg.norm(fixed.image_xy[:, P.L_SHOULDER] - truth.image_xy[:, P.L_SHOULDER], axis=-1)
                < np.linalg.norm(fixed.image_xy[:, P.L_SHOULDER] - truth.image_xy[:, P.R_SHOULDER], axis=-1))
    assert near_own.all(), f"left shoulder labelled right in frames {np.flatnonzero(~near_own)}"


def test_in_profile_the_visible_side_keeps_its_labels_when_mediapipe_swaps_only_the_legs():
    # Walking in profile (facing the picture's right: the right side near the camera), arms hanging
    # so that both project onto the same place; MediaPipe marks the far arm unseen. For ten frames it
    # mirrors the head, torso and legs but keeps the arms. Travel in the picture finds the legs; the
    # arms cannot be told apart by travel, but the seen arm is the near one, and facing right that is
    # the right arm: they keep MediaPipe's labels.
    steps = np.linspace(0, 4 * np.pi, FRAMES)
    truth = track_of(skeleton(FRAMES, yaw_deg=90.0, knee_deg=50 * np.abs(np.sin(steps))))
    near_right = truth.image_xy[:, P.NOSE, 0] > truth.image_xy[:, P.R_EAR, 0]
    assert near_right.all()
    truth.visibility[:, [a for a, _ in ALL_PAIRS]] = 0.1  # the left side is the far one
    truth.visibility[:, [b for _, b in ALL_PAIRS]] = 0.95
    truth.image_xy += np.random.default_rng(1).normal(0, 1.0, truth.image_xy.shape)
    not_arms = [p for p in ALL_PAIRS if p not in _PAIRS_ARM]
    seen = mediapipe_swap(truth, slice(25, 35), pairs=not_arms)
    seen.visibility[25:35] = _exchange(truth.visibility[25:35, :, None], not_arms)[..., 0]
    fixed, _ = fix_swaps(seen)
    wrong = (np.linalg.norm(fixed.image_xy[:, P.R_WRIST] - truth.image_xy[:, P.R_WRIST], axis=-1)
             > np.linalg.norm(fixed.image_xy[:, P.R_WRIST] - truth.image_xy[:, P.L_WRIST], axis=-1)) & \
        (fixed.visibility[:, P.R_WRIST] < 0.5)
    assert not wrong.any(), f"the unseen left arm labelled right in frames {np.flatnonzero(wrong)}"
    np.testing.assert_allclose(fixed.image_xy[:, [P.L_KNEE, P.R_KNEE]], truth.image_xy[:, [P.L_KNEE, P.R_KNEE]])


def test_two_frames_of_garbage_do_not_relabel_the_frames_before_them():
    # MediaPipe's 2D jumps for two frames (the body drawn mirrored, then squeezed and off to one
    # side; seen on Demo_SinglePerson cam02): neither labelling continues the frames around them, so
    # they must not decide the labels of the correctly labelled frames before them.
    truth = track_of(_walking_in_place())
    seen = track_of(_walking_in_place())
    for frame, squeeze in ((9, -1.0), (10, 0.0)):
        x = seen.image_xy[frame, :, 0]
        seen.image_xy[frame, :, 0] = x.mean() + squeeze * (x - x.mean()) + 40.0
    fixed, _ = fix_swaps(seen)
    np.testing.assert_allclose(fixed.image_xy[:9], truth.image_xy[:9])
    np.testing.assert_allclose(fixed.image_xy[11:], truth.image_xy[11:])
