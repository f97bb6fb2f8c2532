# SPDX-License-Identifier: GPL-3.0-or-later
"""Frames decoded in a thread ahead of MediaPipe: same frames, same order, errors passed on, and a
tracking that stops early leaves no decoder running."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from local_server.mocap.pose_tracking import _Prefetched
from local_server.processors.base import ProcessingFailed


def _frames(n: int, fail_at: int | None = None, closed: list | None = None):
    try:
        for i in range(n):
            if i == fail_at:
                raise ProcessingFailed("Decoding clip.mp4 failed part way through.")
            yield np.full((48, 64, 3), i, dtype=np.uint8)
    finally:
        if closed is not None:
            closed.append(True)


def test_frames_arrive_in_order_and_scaled():
    frames = _Prefetched(_frames(30), (32, 24), depth=4)
    got = list(frames)
    frames.close()
    assert [f.shape for f in got] == [(24, 32, 3)] * 30
    assert [int(f[0, 0, 0]) for f in got] == list(range(30))


def test_a_broken_file_fails_the_tracking_with_the_decoders_message():
    frames = _Prefetched(_frames(30, fail_at=5), None, depth=4)
    seen = []
    with pytest.raises(ProcessingFailed, match="failed part way"):
        for f in frames:
            seen.append(int(f[0, 0, 0]))
    frames.close()
    assert seen == [0, 1, 2, 3, 4]


def test_stopping_early_ends_the_decoder_and_closes_the_reader():
    closed: list = []
    frames = _Prefetched(_frames(1000, closed=closed), None, depth=2)
    for i, _ in enumerate(frames):
        if i == 3:
            break
    frames.close()
    assert closed == [True]
    assert not any(t.name == "decode" and t.is_alive() for t in threading.enumerate())
