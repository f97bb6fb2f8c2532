# SPDX-License-Identifier: GPL-3.0-or-later
"""The local server with `--processor mediapipe`, over real HTTP through the Move client."""
from __future__ import annotations

import numpy as np
import pytest

import lib
from conftest import start_server
from media import make_video
from mocap_support import fbx_bone_heads, pose2sim_clip

pytestmark = pytest.mark.slow  # MediaPipe jobs on real clips through the server: 6-8 s each


@pytest.fixture(scope="module")
def mocap_server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("mocap-server"), "--processor", "mediapipe")
    yield server
    server.stop()


def _run_job(server, video, **job_args):
    client = lib.MoveClient(server.api_key, endpoint=server.endpoint)
    file = client.files.upload(video)
    take = client.takes.create_singlecam(sources=[{"deviceLabel": "cam01", "fileId": file.id, "format": "MP4"}])
    job = client.jobs.create_singlecam(take.id, **job_args)
    updates = []
    done = client.jobs.wait(job.id, interval=0.2, timeout=240, on_update=updates.append)
    return client, done, updates


def test_a_video_without_a_person_fails_with_the_reason(mocap_server, tmp_path):
    pattern = make_video(tmp_path / "pattern.mp4", seconds=1.0, fps=24)
    _, done, _ = _run_job(mocap_server, pattern, outputs=["MAIN_FBX"])
    assert done.state == "FAILED"
    assert done.failure_reason.startswith("No person was found in the video")
    assert "24 frames" in done.failure_reason


def test_a_real_clip_window_comes_back_as_an_fbx_that_follows_the_person(mocap_server, tmp_path):
    # pose2sim's man raises his right arm over his head from about video frame 30 to 65 (60 fps).
    client, done, updates = _run_job(mocap_server, pose2sim_clip(), clip_window=(0.5, 1.0), outputs=["MAIN_FBX"])
    assert done.state == "FINISHED", done.failure_reason
    assert done.metadata["processor"] == "mediapipe" and done.metadata["frames"] == 30
    assert done.metadata["tracking"]["framesWithPerson"] == 30
    percentages = [u.percentage for u in updates if u.percentage is not None]
    assert percentages == sorted(percentages) and percentages[-1] == 100
    fbx = client.jobs.download(done, "fbx", tmp_path)
    h = fbx_bone_heads(fbx, 60.0, ["Head", "RightHand", "LeftHand"], 30)
    raised = slice(8, 28)  # video frames 38..57
    assert np.all(h["RightHand"][raised, 2] > h["Head"][raised, 2] + 0.1)
    assert np.all(h["LeftHand"][raised, 2] < h["Head"][raised, 2] - 0.3)
