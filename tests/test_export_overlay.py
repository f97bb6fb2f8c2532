# SPDX-License-Identifier: GPL-3.0-or-later
"""Skeleton videos: the overlay MP4 on the source video's clip window, the preview MP4, the numpy drawing."""
from __future__ import annotations

import numpy as np
import pytest

from local_server.export import export_motion
from local_server.export.drawing import draw_segment
from local_server.export.overlay import DEFAULT_EDGE_COLOR, write_overlay_video
from local_server.processors.reference import synthetic_motion
from local_server.video import probe_video, read_frames

WINDOW = range(12, 36)


def _moving_bar(frames: int) -> np.ndarray:
    """Two joints per frame: a vertical bar from y=40 to y=200 that moves 4 px right each frame."""
    x = 60.0 + 4.0 * np.arange(frames)
    return np.stack([np.column_stack([x, np.full(frames, 40.0)]), np.column_stack([x, np.full(frames, 200.0)])],
                    axis=1)


@pytest.fixture(scope="module")
def overlay(sample_video, tmp_path_factory):
    joints = _moving_bar(len(WINDOW))
    visible = np.ones((len(WINDOW), 2), dtype=bool)
    visible[5, 1] = False  # one joint unseen in one frame: its edge is not drawn there
    out = tmp_path_factory.mktemp("overlay") / "overlay.mp4"
    write_overlay_video(sample_video, WINDOW, joints, [(0, 1)], out, visibility=visible)
    return out, joints


def test_overlay_has_the_windows_frames_at_the_video_rate(overlay, sample_video):
    out, _ = overlay
    info = probe_video(out)
    source = probe_video(sample_video)
    assert info.frame_count == len(WINDOW)
    assert info.fps == pytest.approx(source.fps)
    assert (info.width, info.height) == (source.width, source.height)


def test_overlay_draws_the_skeleton_on_the_right_source_frames(overlay, sample_video):
    out, joints = overlay
    source = list(read_frames(sample_video, WINDOW))
    drawn = list(read_frames(out))
    for k in (0, 5, 11, 23):
        x = int(joints[k, 0, 0])
        bar = drawn[k][60:180, x - 1:x + 2].reshape(-1, 3).astype(int).mean(axis=0)
        # away from the bar the picture is the source frame of the window (H.264 noise only)
        rest = np.abs(drawn[k][:, x + 12:].astype(int) - source[k][:, x + 12:]).mean()
        assert rest < 4.0, (k, rest)
        if k == 5:
            assert np.abs(bar - DEFAULT_EDGE_COLOR).max() > 60  # hidden joint: no bar in this frame
        else:
            assert np.abs(bar - DEFAULT_EDGE_COLOR).max() < 40, (k, bar)


def test_overlay_refuses_joints_that_do_not_fit_the_window(sample_video, tmp_path):
    with pytest.raises(ValueError, match="joints_px must be"):
        write_overlay_video(sample_video, WINDOW, _moving_bar(len(WINDOW) - 1), [(0, 1)], tmp_path / "x.mp4")


def test_preview_video_shows_the_motion_at_its_rate(tmp_path):
    motion = synthetic_motion(fps=25.0, frame_count=20)
    files = export_motion(motion, tmp_path, ["RENDER_VIDEO"], name="take")
    info = probe_video(files["RENDER_VIDEO"])
    assert (info.frame_count, info.fps, info.width, info.height) == (20, 25.0, 640, 360)
    frames = list(read_frames(files["RENDER_VIDEO"]))
    # skeleton lines stand out from the dark background, and the figure moves between frames
    assert all((f.max(axis=2) > 200).sum() > 500 for f in frames)
    assert np.abs(frames[0].astype(int) - frames[10]).mean() > 0.5


def test_segments_are_round_capped_and_anti_aliased():
    image = np.zeros((40, 60, 3), dtype=np.uint8)
    draw_segment(image, (10, 20), (50, 20), 3.0, (255, 0, 0))
    assert tuple(image[20, 30]) == (255, 0, 0)
    assert tuple(image[20, 52]) == (255, 0, 0)  # the round cap reaches past the end point
    assert image[20, 55, 0] == 0 and image[25, 30, 0] == 0
    assert 0 < image[23, 30, 0] < 255  # the edge pixel is blended, not stair-stepped
    draw_segment(image, (-100, -100), (-50, -50), 3.0, (0, 255, 0))  # off the image: nothing, no error
    assert image[..., 1].max() == 0
