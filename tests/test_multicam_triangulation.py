# SPDX-License-Identifier: GPL-3.0-or-later
"""Triangulation and sync on synthetic views with known cameras, motion and offsets."""
from __future__ import annotations

import numpy as np

from local_server.mocap import pose_tracking as P
from local_server.multicam.skeleton import BODY_JOINTS
from local_server.multicam.sync import motion_offsets
from local_server.multicam.take import motion_from_points, refine_offsets
from local_server.multicam.triangulation import triangulate
from local_server.multicam.views import View
from multicam_synthetic import camera_ring, observe, walking_person


def test_triangulation_matches_the_ground_truth_and_drops_one_views_outlier():
    cams = camera_ring(4)
    person = walking_person(frames=60)
    xy, conf = observe(cams, person, noise_px=1.0)
    xy[2, :, P.L_WRIST] += 150.0  # one camera puts the left wrist far off (a mislabelled hand)
    tri = triangulate(cams, np.nan_to_num(xy), conf)
    err = np.linalg.norm(tri.points - person, axis=-1)
    assert np.nanmax(err[:, BODY_JOINTS]) < 0.03
    assert np.nanmax(err[:, P.L_WRIST]) < 0.03
    assert not tri.views_used[:, P.L_WRIST, 2].any() and tri.views_used[:, P.R_WRIST, 2].all()


def test_confidence_weights_and_unseen_views():
    cams = camera_ring(3)
    person = walking_person(frames=20)
    xy, conf = observe(cams, person, noise_px=0.5)
    conf[1] = 0.0  # the second camera sees nothing: two views remain
    tri = triangulate(cams, np.nan_to_num(xy), conf)
    assert np.nanmax(np.linalg.norm(tri.points - person, axis=-1)) < 0.02
    conf[2] = 0.0  # one view left: nothing can be triangulated, and nothing is made up
    assert np.isnan(triangulate(cams, np.nan_to_num(xy), conf).points).all()


def test_sync_finds_each_views_offset_from_the_motion():
    cams = camera_ring(4)
    person = walking_person(frames=200, fps=30.0)
    xy, conf = observe(cams, person, noise_px=1.0)
    truth = [0, 7, -4, 12]
    n = 150
    views = []
    for v, o in enumerate(truth):
        start = 20 + o  # view v's row i shows the instant of the reference's row i + ... shifted by o
        views.append((xy[v, start:start + n], conf[v, start:start + n]))
    result = motion_offsets(views, 30.0)
    # view v's row i + offset shows the reference's row i; speeds seen from different angles differ in
    # shape, so correlation settles within two frames (refine_offsets does the rest with the cameras)
    assert np.abs(np.subtract(result.offsets, [0, -7, 4, -12])).max() <= 2, result
    assert result.offsets[0] == 0 and min(result.correlations) > 0.3


def test_refining_offsets_with_known_cameras():
    cams = camera_ring(4)
    person = walking_person(frames=120)
    xy, conf = observe(cams, person, noise_px=1.0)
    views = [View(c.name, None, 30.0, c.size, 0, xy[v], conf[v]) for v, c in enumerate(cams)]
    assert refine_offsets(cams, views, [0, 2, -3, 1]) == [0, 0, 0, 0]


def test_triangulated_motion_keeps_the_rig_on_the_floor():
    person = walking_person(frames=90)
    motion, ground = motion_from_points(person, 30.0, 0.0)
    assert motion.frame_count == 90 and ground["plantedFrames"] > 0
    assert np.isfinite(motion.rotations).all() and np.isfinite(motion.root_positions).all()


def test_left_right_labels_a_view_mirrored_are_swapped_back():
    from local_server.multicam.skeleton import swap_left_right
    from local_server.multicam.triangulation import fix_left_right

    cams = camera_ring(4)
    person = walking_person(frames=40)
    xy, conf = observe(cams, person, noise_px=1.0)
    clean = xy.copy()
    xy[1, 10:20] = swap_left_right(xy[1, 10:20])  # seen from behind, the pose model mirrored the person
    fixed, _, swapped = fix_left_right(cams, np.nan_to_num(xy), conf)
    assert swapped == {1: 10}
    assert np.allclose(fixed[1, 10:20], np.nan_to_num(clean[1, 10:20]))
