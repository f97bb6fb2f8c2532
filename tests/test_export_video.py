# SPDX-License-Identifier: GPL-3.0-or-later
"""Video probing, clip-window frames and streamed frame reading/writing (local_server.video) on real files."""
from __future__ import annotations

import numpy as np
import pytest

from local_server.processors.base import ProcessingFailed
from local_server.video import Mp4Writer, VideoInfo, frame_range, probe_video, read_frames
from media import make_video


@pytest.fixture(scope="module")
def ntsc_video(tmp_path_factory):
    """1 s at 30000/1001 fps: ffmpeg prints this rate rounded, the probe must give it exactly."""
    return make_video(tmp_path_factory.mktemp("ntsc") / "ntsc.mp4", seconds=1.0, fps="30000/1001", size=(160, 120))


def test_probe_reports_rate_count_and_size(sample_video):
    info = probe_video(sample_video)
    assert info == VideoInfo(fps=24.0, frame_count=48, width=320, height=240)
    assert info.duration == pytest.approx(2.0)


def test_probe_gives_ntsc_rates_exactly(ntsc_video):
    info = probe_video(ntsc_video)
    assert info.fps == pytest.approx(30000 / 1001, abs=1e-9)
    assert info.frame_count == 30
    assert (info.width, info.height) == (160, 120)


def test_clip_window_maps_to_rounded_frames():
    info = VideoInfo(fps=24.0, frame_count=48, width=320, height=240)
    assert frame_range(info, None) == range(0, 48)
    assert frame_range(info, (0.5, 1.5)) == range(12, 36)
    assert frame_range(info, (0.52, 1.49)) == range(12, 36)  # round(12.48)=12, round(35.76)=36
    assert frame_range(info, (1.0, 99.0)) == range(24, 48)  # the end is clamped to the video


@pytest.mark.parametrize("window", [(1.0, 1.0), (1.5, 1.0), (5.0, 6.0)])
def test_empty_clip_window_fails_with_a_reason(window):
    info = VideoInfo(fps=24.0, frame_count=48, width=320, height=240)
    with pytest.raises(ProcessingFailed, match="clip window .* holds no frames"):
        frame_range(info, window)


def test_a_file_that_is_no_video_fails_clearly(tmp_path):
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("this is not a video\n" * 50)
    with pytest.raises(ProcessingFailed, match="could not be read as a video"):
        probe_video(bogus)
    with pytest.raises(ProcessingFailed, match="missing"):
        probe_video(tmp_path / "absent.mp4")


def test_reading_a_window_gives_the_same_frames_as_reading_everything(sample_video):
    info = probe_video(sample_video)
    everything = list(read_frames(sample_video, info=info))
    assert len(everything) == 48
    assert everything[0].shape == (240, 320, 3) and everything[0].dtype == np.uint8
    for start in (1, 13, 40):
        window = list(read_frames(sample_video, range(start, start + 5), info))
        assert len(window) == 5
        for k, frame in enumerate(window):
            # the test pattern moves: a neighbour frame would differ by far more than codec noise
            assert np.abs(frame.astype(int) - everything[start + k]).mean() < 1.0, (start, k)
            assert np.abs(frame.astype(int) - everything[start + k + (1 if k < 4 else -1)]).mean() > 1.0


def test_mp4_writer_keeps_a_fractional_rate_exact(tmp_path, ntsc_video):
    out = tmp_path / "copy.mp4"
    src = probe_video(ntsc_video)
    with Mp4Writer(out, src.width, src.height, src.fps) as writer:
        for frame in read_frames(ntsc_video, range(3, 21), src):
            writer.write(frame)
    written = probe_video(out)
    assert written.frame_count == 18
    assert written.fps == pytest.approx(src.fps, abs=1e-9)


def test_mp4_writer_refuses_odd_sizes_and_wrong_frames(tmp_path):
    with pytest.raises(ValueError, match="even"):
        Mp4Writer(tmp_path / "odd.mp4", 161, 120, 24.0)
    with pytest.raises(ValueError, match="frame must be"):
        with Mp4Writer(tmp_path / "bad.mp4", 160, 120, 24.0) as writer:
            writer.write(np.zeros((100, 160, 3), dtype=np.uint8))
    assert not (tmp_path / "bad.mp4").exists()  # a failed write leaves no half file behind
