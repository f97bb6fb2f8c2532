# SPDX-License-Identifier: GPL-3.0-or-later
"""One person, the same person: detections of somebody else are refused frame by frame, the actor
is taken back when they reappear, and the job's metadata says what was lost and bridged."""
from __future__ import annotations

import numpy as np

from local_server.mocap.pipeline import following_report, motion_from_track
from local_server.mocap.pose_tracking import ActorFollower
from mocap_synthetic import skeleton, track_of

FRAMES = 40


def _actor_and_passer_by():
    """The actor walking slowly to the right, and a taller person crossing in front of them the
    other way, faster; both as MediaPipe's 2D points."""
    actor = track_of(skeleton(FRAMES, arm_swing_deg=20 * np.sin(np.linspace(0, 6, FRAMES)),
                              travel_m=np.linspace(-0.4, 0.2, FRAMES)))
    other = track_of(skeleton(FRAMES, yaw_deg=-60.0, arm_swing_deg=45.0, knee_deg=50.0,
                              travel_m=np.linspace(1.2, -1.2, FRAMES)))
    other.image_xy[..., 1] = (other.image_xy[..., 1] - 240) * 1.4 + 260  # 1.5 m nearer the camera: larger
    return actor, other


def test_somebody_else_offered_in_the_actor_s_place_is_refused():
    actor, other = _actor_and_passer_by()
    follower = ActorFollower(fps=30.0)
    vis = np.ones(33)
    passing = range(14, 20)  # MediaPipe's tracker latches onto the passer-by as they cross
    accepted = [follower.accept((other if i in passing else actor).image_xy[i], vis) for i in range(FRAMES)]
    assert not any(accepted[i] for i in passing)
    assert all(accepted[i] for i in range(FRAMES) if i not in passing), "the actor was taken back after the crossing"


def test_lost_frames_are_reported_and_bridged():
    actor, _ = _actor_and_passer_by()
    actor.image_xy[14:20] = np.nan
    actor.world[14:20] = np.nan
    actor.people_seen = 2
    report = following_report(actor)
    assert (report["framesLost"], report["framesBridged"], report["framesHeld"]) == (6, 6, 0)
    assert report["lostRanges"] == [[14, 19]]
    assert "2 people were in view" in report["warning"]
    motion, _ = motion_from_track(actor)
    assert np.isfinite(motion.rotations).all() and np.isfinite(motion.root_positions).all()


def test_the_actor_is_not_refused_when_moving_fast():
    jump = track_of(skeleton(FRAMES, knee_deg=60 * np.abs(np.sin(np.linspace(0, 3, FRAMES))),
                             lift_m=0.4 * np.clip(np.sin(np.linspace(-1, 4, FRAMES)), 0, None),
                             travel_m=np.linspace(0, 1.0, FRAMES)))
    follower = ActorFollower(fps=30.0)
    assert all(follower.accept(jump.image_xy[i], np.ones(33)) for i in range(FRAMES))



def test_the_actor_standing_up_from_a_squat_is_followed_at_a_low_frame_rate():
    """A deep squat stood up from in 0.4 s (eased in and out, as the mocap benchmark's clips move),
    filmed at 12.5 fps: the body's box grows by a third in five frames, up to 12% in one."""
    fps = 12.5
    rise = np.linspace(0.0, 1.0, 6)
    knee = np.radians(np.r_[np.full(3, 120.0), 120.0 * (1 - rise * rise * (3 - 2 * rise)), np.zeros(2)])
    squat = track_of(skeleton(len(knee), knee_deg=np.degrees(knee), both_knees=True,
                              lift_m=-0.87 * (1 - np.cos(knee / 2))), fps=fps)  # feet stay on the floor
    heights = np.ptp(squat.image_xy[:, :, 1], axis=1)
    assert heights[-1] / heights[0] > 1.3  # the premise: the person's size in the picture changes a lot
    follower = ActorFollower(fps=fps)
    assert all(follower.accept(squat.image_xy[i], np.ones(33)) for i in range(len(knee)))
