# SPDX-License-Identifier: GPL-3.0-or-later
"""The `reference` processor (a test fixture): real files on the real video's timing, synthetic motion."""
from __future__ import annotations

import json
import zipfile

import bpy
import numpy as np
import pytest

from local_server.kinematics import forward_kinematics
from local_server.output_types import SINGLE_CAM_DEFAULTS
from local_server.processors.base import JobSpec, ProcessingFailed
from local_server.processors.reference import ReferenceProcessor, synthetic_motion
from local_server.video import probe_video

WINDOW = (0.5, 1.5)  # frames 12..35 of the 48-frame sample video


@pytest.fixture(scope="module")
def full_job(sample_video, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    progress: list[int] = []
    spec = JobSpec("job-1234", sample_video, list(SINGLE_CAM_DEFAULTS), clip_window=WINDOW)
    result = ReferenceProcessor().process(spec, out, progress.append)
    return result, progress, out


def test_every_default_output_is_written(full_job):
    result, _, out = full_job
    assert set(result.files) == set(SINGLE_CAM_DEFAULTS)
    assert all(p.parent == out and p.stat().st_size > 1000 for p in result.files.values())
    assert result.metadata["processor"] == "reference" and result.metadata["synthetic"] is True
    assert result.metadata["frames"] == 24 and result.metadata["firstFrame"] == 12


def test_progress_rises_from_0_to_100(full_job):
    _, progress, _ = full_job
    assert progress[0] == 0 and progress[-1] == 100
    assert progress == sorted(progress) and len(set(progress)) >= 5


def test_fbx_has_one_key_per_window_frame_at_the_video_rate(full_job):
    result, _, _ = full_job
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    bpy.ops.import_scene.fbx(filepath=str(result.files["MAIN_FBX"]))
    armature = next(o for o in scene.objects if o.type == "ARMATURE")
    channelbag = armature.animation_data.action.layers[0].strips[0].channelbag(armature.animation_data.action_slot)
    keys = [k.co[0] for k in channelbag.fcurves.find('pose.bones["_1:LeftArm"].rotation_quaternion',
                                                      index=0).keyframe_points]
    assert keys == pytest.approx(list(range(1, 25)))
    assert scene.render.fps / scene.render.fps_base == pytest.approx(24.0)
    bpy.ops.wm.read_factory_settings(use_empty=True)


def test_videos_and_motion_data_cover_the_window(full_job):
    result, _, _ = full_job
    overlay = probe_video(result.files["RENDER_OVERLAY_VIDEO"])
    assert (overlay.frame_count, overlay.fps, overlay.width, overlay.height) == (24, 24.0, 320, 240)
    assert probe_video(result.files["RENDER_VIDEO"]).frame_count == 24
    with zipfile.ZipFile(result.files["MOTION_DATA"]) as archive:
        data = json.loads(archive.read("actor_1.json"))
    assert len(data["mocap_data"]) == 24 and data["start_time"] == pytest.approx(0.5)


def test_only_the_requested_outputs_are_made(sample_video, tmp_path):
    spec = JobSpec("job-md", sample_video, ["MOTION_DATA"])  # no window: the whole video
    result = ReferenceProcessor().process(spec, tmp_path, lambda p: None)
    assert set(result.files) == {"MOTION_DATA"}
    assert [p.name for p in tmp_path.iterdir()] == ["job-md_motion_data.zip"]
    assert result.metadata["frames"] == 48


@pytest.mark.parametrize("spec_change, message", [
    ({"outputs": ["ALL_FBX"]}, "cannot make ALL_FBX"),
    ({"clip_window": (3.0, 4.0)}, "holds no frames"),
])
def test_impossible_jobs_fail_with_a_reason(sample_video, tmp_path, spec_change, message):
    spec = JobSpec("job-x", sample_video, ["MAIN_FBX"])
    for key, value in spec_change.items():
        setattr(spec, key, value)
    with pytest.raises(ProcessingFailed, match=message):
        ReferenceProcessor().process(spec, tmp_path, lambda p: None)
    assert not any(tmp_path.iterdir())


def test_a_file_that_is_no_video_fails_the_job(tmp_path):
    bogus = tmp_path / "clip.mp4"
    bogus.write_bytes(b"\x00\x01not a video" * 100)
    with pytest.raises(ProcessingFailed, match="could not be read as a video"):
        ReferenceProcessor().process(JobSpec("job-y", bogus, ["MAIN_FBX"]), tmp_path / "out", lambda p: None)


def test_a_progress_callback_that_raises_stops_the_job(sample_video, tmp_path):
    class Stop(Exception):
        pass

    def progress(p: int) -> None:
        if p >= 10:
            raise Stop()

    with pytest.raises(Stop):
        ReferenceProcessor().process(JobSpec("job-z", sample_video, ["MAIN_FBX"]), tmp_path, progress)
    assert not (tmp_path / "job-z.fbx").exists()


def test_synthetic_motion_is_smooth_plausible_and_plants_the_feet():
    motion = synthetic_motion(fps=30.0, frame_count=90)
    heads, tails = forward_kinematics(motion)
    col = {n: i for i, n in enumerate(motion.bone_names)}
    toe = heads[:, col["LeftToeBase"]]
    assert np.ptp(toe, axis=0).max() < 1e-9  # feet planted through the knee bend
    hips_z = motion.root_positions[:, 2]
    assert 0.04 < np.ptp(hips_z) < 0.2  # the hips bob a few centimetres
    wrist = heads[:, col["LeftHand"]]
    head_top = tails[:, col["Head"]]
    assert (wrist[:, 2] > head_top[:, 2]).any() and (wrist[:, 2] < heads[:, col["Hips"], 2] + 0.3).any()
    step = np.linalg.norm(np.diff(heads, axis=0), axis=-1).max()
    assert step < 0.12  # no joint jumps more than 12 cm between frames at 30 fps
