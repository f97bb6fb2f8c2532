# SPDX-License-Identifier: GPL-3.0-or-later
"""Feet: contacts are found, a planted foot does not slide, and the floor comes from the contacts,
so a jump leaves the floor instead of being snapped back onto it."""
from __future__ import annotations

import numpy as np

from local_server.mocap.pipeline import motion_from_track
from mocap_synthetic import skeleton, track_of
from benchmarks.mocap import scoring

FPS = 30.0


def _ankles(motion) -> np.ndarray:
    j = scoring.from_motion(motion)
    return np.stack([j["LeftAnkle"], j["RightAnkle"]], axis=1)  # (F, 2, 3), Z up


def test_a_jump_stays_a_jump():
    frames = 45
    t = np.arange(frames)
    lift = np.where((t >= 15) & (t < 27), 0.45 * np.sin(np.pi * (t - 15) / 12), 0.0)  # 45 cm up, 0.4 s off the floor
    knee = np.where((t >= 8) & (t < 15), 50.0, 0.0)  # crouch before take-off
    motion, _ = motion_from_track(track_of(skeleton(frames, yaw_deg=15.0, knee_deg=knee, lift_m=lift), fps=FPS))
    lowest = _ankles(motion)[..., 2].min(axis=1)
    standing = np.median(lowest[:8])
    assert lowest[21] - standing > 0.3, f"the feet rose {100 * (lowest[21] - standing):.0f} cm at the top of a 45 cm jump"
    assert abs(lowest[-5:] - standing).max() < 0.03, "after the landing the feet are back on the floor"


def test_a_planted_foot_does_not_slide():
    frames = 60
    rng = np.random.default_rng(3)
    # Standing, swinging the arms, seen with MediaPipe's usual 2D noise (1.5 px) and depth noise.
    swing = 40 * np.sin(np.linspace(0, 4 * np.pi, frames))
    track = track_of(skeleton(frames, yaw_deg=30.0, arm_swing_deg=swing), fps=FPS)
    track.image_xy += rng.normal(0, 1.5, track.image_xy.shape)
    track.world += rng.normal(0, 0.02, track.world.shape)
    motion, _ = motion_from_track(track)
    feet = _ankles(motion)
    slide = scoring.foot_slide(feet, np.ones((frames, 2), bool), FPS)
    assert slide <= 2.0, f"planted feet slide at {slide:.1f} cm/s"
    assert motion.metadata["tracking"]["plantedFrames"] > 0.8 * frames


def test_a_still_foot_carrying_the_body_is_down_though_its_lifted_height_drifts():
    from local_server.mocap import pose_tracking as P
    from local_server.mocap.grounding import planted
    from local_server.mocap.lifting import HIP_C, SHOULDER_C

    frames = 40
    world = np.zeros((frames, 36, 3))
    world[:, HIP_C] = (0.0, 0.0, 0.9)
    world[:, SHOULDER_C] = (0.0, 0.0, 1.4)
    drift = np.clip(np.linspace(-0.15, 0.15, frames), 0.0, None)  # the lift's depth error raising the standing foot
    for heel, toe, x, z in ((P.R_HEEL, P.R_FOOT, -0.1, drift), (P.L_HEEL, P.L_FOOT, 0.1, 0.3 + 0 * drift)):
        world[:, heel] = np.stack([np.full(frames, x), np.full(frames, 0.05), z], axis=1)
        world[:, toe] = world[:, heel] + (0.0, -0.15, 0.0)
    world[:8, P.L_HEEL, 2] = world[:8, P.L_FOOT, 2] = 0.0  # both feet down at first, then the left raised
    contact, _ = planted(world, FPS)
    assert contact[:, 1].all(), f"the standing foot counted as lifted in frames {np.flatnonzero(~contact[:, 1])}"
