# SPDX-License-Identifier: GPL-3.0-or-later
"""Multicam end to end through the local server's GraphQL (mediapipe processor, real videos of a person):
a volume calibrated from the person, a take on it, a multicam job, and the failures a user must read."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest
import requests

from benchmarks.multicam.pose2sim_demo import demo_videos
from local_server.launcher import start_server
from media import make_video
from server_support import Api

WINDOW = {"startTime": 0.0, "endTime": 0.75}  # 45 frames of each 60 fps view: enough, and quick to track
VOLUME_FIELDS = "id state metadata progress { state percentageComplete } outputs { key format file { presignedUrl } }"

pytestmark = pytest.mark.slow  # MediaPipe on four real views through the server: about 2 minutes for the module


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("multicam-server"), "--processor", "mediapipe")
    yield Api(server)
    server.stop()


@pytest.fixture(scope="module")
def uploads(api):
    """The four views of Pose2Sim's Demo_SinglePerson, uploaded once."""
    return [api.upload(path)["id"] for path in demo_videos("Demo_SinglePerson")]


def _sources(file_ids, labels=("cam01", "cam02", "cam03", "cam04")):
    return [{"deviceLabel": label, "fileId": f, "format": "MP4", "cameraSettings": {"lens": "generic-35mm"}}
            for label, f in zip(labels, file_ids)]


def _volume(api, file_ids, **extra):
    return api(f"""mutation($s: [SourceInput!], $w: ClipWindowInput) {{
        createVolumeWithHuman(sources: $s, humanHeight: 1.72, areaType: NORMAL, clipWindow: $w) {{ {VOLUME_FIELDS} }} }}""",
               s=_sources(file_ids, **extra), w=WINDOW)["createVolumeWithHuman"]


def _wait_volume(api, volume_id, timeout=180):
    deadline = time.monotonic() + timeout
    states = []
    while True:
        v = api(f'query($id: ID!) {{ getVolume(id: $id) {{ ... on HumanVolume {{ {VOLUME_FIELDS} }} }} }}',
                id=volume_id)["getVolume"]
        if not states or states[-1] != v["state"]:
            states.append(v["state"])
        if v["state"] in ("FINISHED", "FAILED"):
            return v, states
        assert time.monotonic() < deadline, v
        time.sleep(0.2)


def _multicam_job(api, take_id, actors=1):
    return api("""mutation($t: String!, $n: Int, $w: ClipWindowInput) { createMultiCamJob(takeId: $t,
                  numberOfActors: $n, outputs: [MAIN_FBX, MOTION_DATA], clipWindow: $w) { id } }""",
               t=take_id, n=actors, w=WINDOW)["createMultiCamJob"]


@pytest.fixture(scope="module")
def volume(api, uploads):
    created = _volume(api, uploads)
    assert created["state"] == "NOT_STARTED"
    finished, states = _wait_volume(api, created["id"])
    return finished, states


def test_volume_calibrated_from_the_person(volume):
    v, states = volume
    assert states[-1] == "FINISHED", json.loads(v["metadata"]).get("failureReason")
    assert "RUNNING" in states or states[0] == "NOT_STARTED"
    meta = json.loads(v["metadata"])
    assert set(meta["cameras"]) == {"cam01", "cam02", "cam03", "cam04"}
    cam = meta["cameras"]["cam02"]
    assert np.shape(cam["matrix"]) == (3, 3) and len(cam["rotation"]) == 3 and len(cam["translation"]) == 3
    assert len(cam["distortions"]) == 4
    assert 0 < meta["reprojectionErrorPx"] < 25
    # The lab placed these cameras about 2 m high and 2.5-4.3 m from the middle (its own frame leans ~10
    # degrees from the person's up, so only the ranges are compared): metres, Z up, floor at 0.
    for c in meta["cameras"].values():
        assert 0.8 < c["centre"][2] < 3.0, c["centre"]
        assert 1.5 < np.hypot(*c["centre"][:2]) < 6.0
        assert 0.8 < c["matrix"][0][0] / 1680 < 1.2  # the lab's focal length, 1680 px
    (toml,) = v["outputs"]
    assert toml["key"] == "cameras" and toml["format"] == "toml"
    text = requests.get(toml["file"]["presignedUrl"], timeout=10).text
    assert '["cam03"]' in text and "rotation = [" in text and "[metadata]" in text


def test_multicam_job_triangulates_the_take(api, uploads, volume):
    v, _ = volume
    take = api("""mutation($v: String!, $s: [SourceInput!]) { createMultiCamTake(volumeId: $v, sources: $s) { id } }""",
               v=v["id"], s=_sources(uploads))["createMultiCamTake"]
    job = api.wait_job(_multicam_job(api, take["id"])["id"], timeout=180)
    meta = json.loads(job["metadata"])
    assert job["progress"]["state"] == "FINISHED", meta.get("failureReason")
    assert meta["processor"] == "mediapipe-multicam" and meta["frames"] == 45
    assert set(meta["sync"]["offsets"]) == {"cam01", "cam02", "cam03", "cam04"}
    assert all(abs(o["frames"]) <= 3 for o in meta["sync"]["offsets"].values())  # the demo's views are in step
    assert meta["triangulation"]["medianReprojectionErrorPx"] < 20
    assert {o["key"] for o in job["outputs"]} == {"fbx", "motion_data"}


def test_more_than_one_actor_fails_with_a_reason(api, uploads, volume):
    v, _ = volume
    take = api("""mutation($v: String!, $s: [SourceInput!]) { createMultiCamTake(volumeId: $v, sources: $s) { id } }""",
               v=v["id"], s=_sources(uploads))["createMultiCamTake"]
    job = api.wait_job(_multicam_job(api, take["id"], actors=2)["id"], timeout=60)
    assert job["progress"]["state"] == "FAILED"
    assert "numberOfActors 2" in json.loads(job["metadata"])["failureReason"]


def test_a_take_with_cameras_the_volume_does_not_know_fails_with_a_reason(api, uploads, volume):
    v, _ = volume
    take = api("""mutation($v: String!, $s: [SourceInput!]) { createMultiCamTake(volumeId: $v, sources: $s) { id } }""",
               v=v["id"], s=_sources(uploads, labels=("cam01", "cam02", "side", "back")))["createMultiCamTake"]
    job = api.wait_job(_multicam_job(api, take["id"])["id"], timeout=60)
    reason = json.loads(job["metadata"])["failureReason"]
    assert job["progress"]["state"] == "FAILED"
    assert "'side', 'back'" in reason and "cam01, cam02, cam03, cam04" in reason


def test_a_camera_with_nobody_in_view_fails_the_volume_naming_it(api, uploads, tmp_path):
    empty = api.upload(make_video(tmp_path / "empty.mp4", seconds=1.0, fps=60, size=(540, 960)))["id"]
    created = _volume(api, [uploads[0], uploads[1], empty])
    v, states = _wait_volume(api, created["id"])
    assert states[-1] == "FAILED" and v["outputs"] == []
    reason = json.loads(v["metadata"])["failureReason"]
    assert "Camera 'cam03' never sees the person" in reason
    (error,) = api.errors("""mutation($v: String!, $s: [SourceInput!]) {
                             createMultiCamTake(volumeId: $v, sources: $s) { id } }""", v=v["id"], s=_sources(uploads))
    assert "FAILED" in error["message"] and "never sees the person" in error["message"]  # nothing is paid for


def test_a_later_take_with_other_people_in_view_follows_the_person_most_cameras_see(api, volume):
    """Demo_MultiPerson, recorded after the calibration with the same cameras: three cameras start on a woman
    near them, the fourth on a man; the job follows the woman in all four (cam03 is tracked again)."""
    v, _ = volume
    files = [api.upload(path)["id"] for path in demo_videos("Demo_MultiPerson")]
    take = api("""mutation($v: String!, $s: [SourceInput!]) { createMultiCamTake(volumeId: $v, sources: $s) { id } }""",
               v=v["id"], s=_sources(files))["createMultiCamTake"]
    job = api.wait_job(_multicam_job(api, take["id"])["id"], timeout=240)
    meta = json.loads(job["metadata"])
    assert job["progress"]["state"] == "FINISHED", meta.get("failureReason")
    assert meta["tracking"]["relinked"] == ["cam03"] and "followed someone else" in meta["tracking"]["note"]
    assert meta["triangulation"]["medianReprojectionErrorPx"] < 25
    assert max(meta["triangulation"]["droppedShareByCamera"].values()) < 0.5  # every camera on the same person


def test_unsynced_videos_are_put_in_step_and_the_offsets_reported(api, volume, tmp_path):
    """cam02's video starts 12 frames (0.2 s) late, as a camera started by hand would: the job finds it."""
    import subprocess

    import imageio_ffmpeg

    v, _ = volume
    videos = demo_videos("Demo_SinglePerson")
    late = tmp_path / "cam02_late.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(videos[1]),
                    "-vf", "select=gte(n\\,12),setpts=N/60/TB", "-r", "60", "-c:v", "libx264", "-crf", "16",
                    "-pix_fmt", "yuv420p", str(late)], check=True)
    files = [api.upload(p)["id"] for p in (videos[0], late, videos[2], videos[3])]
    take = api("""mutation($v: String!, $s: [SourceInput!]) { createMultiCamTake(volumeId: $v, sources: $s) { id } }""",
               v=v["id"], s=_sources(files))["createMultiCamTake"]
    job = api("""mutation($t: String!) { createMultiCamJob(takeId: $t, numberOfActors: 1, outputs: [MOTION_DATA],
                  clipWindow: {startTime: 0, endTime: 1.3}) { id } }""", t=take["id"])["createMultiCamJob"]
    job = api.wait_job(job["id"], timeout=240)
    meta = json.loads(job["metadata"])
    assert job["progress"]["state"] == "FINISHED", meta.get("failureReason")
    offsets = meta["sync"]["offsets"]
    assert meta["sync"]["reference"] == "cam01" and offsets["cam01"]["frames"] == 0
    assert abs(offsets["cam02"]["frames"] + 12) <= 1, offsets  # its row i - 12 shows cam01's row i
    assert abs(offsets["cam02"]["seconds"] + 0.2) <= 0.02
    assert meta["triangulation"]["medianReprojectionErrorPx"] < 20
