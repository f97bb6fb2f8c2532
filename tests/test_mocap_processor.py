# SPDX-License-Identifier: GPL-3.0-or-later
"""The `mediapipe` processor on real videos of people: the skeleton in the FBX follows the person."""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from local_server.processors.base import JobSpec
from local_server.processors.mediapipe import MediaPipeProcessor
from local_server.video import probe_video
from mocap_support import fbx_bone_heads, pose2sim_clip

BONES = ["Hips", "Head", "LeftArm", "RightArm", "LeftHand", "RightHand", "LeftFoot", "RightFoot",
         "LeftToeBase", "RightToeBase"]
pytestmark = pytest.mark.slow  # MediaPipe on real clips: about 20 s for the module


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """The whole pose2sim clip (100 frames, 60 fps): the man raises his right arm over his head
    from about frame 30 to frame 65 (seen by eye in the video)."""
    clip = pose2sim_clip("single_person_cam01")
    out = tmp_path_factory.mktemp("mocap")
    progress: list[int] = []
    spec = JobSpec("job-mocap", clip, ["MAIN_FBX", "MOTION_DATA", "RENDER_OVERLAY_VIDEO"])
    result = MediaPipeProcessor().process(spec, out, progress.append)
    heads = fbx_bone_heads(result.files["MAIN_FBX"], 60.0, BONES, 100)
    return result, progress, heads


def test_every_frame_is_tracked_and_progress_follows_the_frames(single):
    result, progress, _ = single
    tracking = result.metadata["tracking"]
    assert result.metadata["processor"] == "mediapipe" and result.metadata["frames"] == 100
    assert tracking["framesWithPerson"] == 100 and tracking["peopleAtStart"] == 1
    assert progress[0] == 0 and progress[-1] == 100 and progress == sorted(progress)
    assert len(set(p for p in progress if p <= 70)) > 30  # one step per couple of frames while tracking


def test_right_wrist_goes_over_the_head_while_the_arm_is_raised(single):
    _, _, h = single
    raised = slice(36, 60)
    assert np.all(h["RightHand"][raised, 2] > h["Head"][raised, 2] + 0.1)  # above the chin/neck top
    assert np.all(h["RightHand"][raised, 2] > h["RightArm"][raised, 2] + 0.15)  # above the shoulder
    assert np.all(h["RightHand"][raised, 2] - h["LeftHand"][raised, 2] > 0.5)  # the right arm, not the left
    start = slice(0, 6)  # arms hang at the start
    for side in ("Left", "Right"):
        assert np.all(h[f"{side}Hand"][start, 2] < h[f"{side}Arm"][start, 2] - 0.25)


def test_feet_stand_on_the_floor(single):
    _, _, h = single
    # The balls of the feet (toe joints; the rig's T-pose has them 2 cm up): the lower one on Z=0.
    balls = np.minimum(h["LeftToeBase"][:, 2], h["RightToeBase"][:, 2])
    assert np.all(balls > -0.03) and np.all(balls < 0.1)
    assert np.all(h["Hips"][:, 2] > 0.8)  # standing, not floating or sunk


def test_motion_data_and_overlay_cover_every_frame(single):
    result, _, _ = single
    with zipfile.ZipFile(result.files["MOTION_DATA"]) as archive:
        data = json.loads(archive.read("actor_1.json"))
    assert len(data["mocap_data"]) == 100
    overlay = probe_video(result.files["RENDER_OVERLAY_VIDEO"])
    assert (overlay.frame_count, overlay.width, overlay.height) == (100, 1080, 1920)


def test_several_people_the_largest_is_followed_and_the_job_says_so(tmp_path):
    clip = pose2sim_clip("multi_person_cam01")  # a woman in front of the man, larger in the picture
    spec = JobSpec("job-two", clip, ["MOTION_DATA"], clip_window=(0.0, 0.25))
    result = MediaPipeProcessor().process(spec, tmp_path, lambda p: None)
    assert result.metadata["tracking"]["peopleAtStart"] == 2
    assert "largest" in result.metadata["note"]

    from local_server.mocap.pose_tracking import track_pose

    track = track_pose(clip, (0.0, 0.25))
    # She stands nearer the camera: her head and feet are lower in the picture than his, every frame.
    assert np.all(track.image_xy[:, 0, 1] > 700)  # nose (his is near y=450)
    assert np.all(np.nanmax(track.image_xy[:, 27:29, 1], axis=1) > 1500)  # ankles (his are near y=1250)
