# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole flow through the client against the running local server: upload a real video, make a
take and a job, wait for it, download every output and open the FBX in Blender."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import lib
from test_client_helpers import (add_fault, client, make_client, md5_of, no_faults,  # noqa: F401
                                 server_jobs_of_take, server_log_lines)

FPS = 24
CLIP = (0.5, 1.5)  # video frames 12..35: 24 samples

FBX_PROBE = r"""
import json, sys, bpy
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.context.scene.render.fps = 24
bpy.ops.import_scene.fbx(filepath=sys.argv[-1])
arms = [o for o in bpy.data.objects if o.type == "ARMATURE"]
out = {"armatures": len(arms)}
if arms:
    arm = arms[0]
    action = arm.animation_data.action if arm.animation_data else None
    out["bones"] = [b.name for b in arm.data.bones]
    out["action"] = action is not None
    if action is not None:
        frames = set()
        try:
            curves = action.fcurves
        except AttributeError:  # layered actions (Blender 4.4+)
            curves = [c for layer in action.layers for strip in layer.strips
                      for bag in strip.channelbags for c in bag.fcurves]
        for c in curves:
            frames.update(round(k.co[0]) for k in c.keyframe_points)
        out["frames"] = sorted(frames)
        out["curves"] = len(list(curves))
print("PROBE " + json.dumps(out))
"""


def probe_fbx(path: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", FBX_PROBE, str(path)], capture_output=True, text=True,
                            timeout=300)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("PROBE ")), None)
    assert line, result.stdout[-2000:] + result.stderr[-2000:]
    return json.loads(line[len("PROBE "):])


@pytest.fixture(scope="module")
def finished(local_server, sample_video, tmp_path_factory):
    """Upload, take, job with a clip window, wait; what the user saw on the way."""
    c = make_client(local_server)
    sent = []
    file = c.files.upload(sample_video, progress=lambda done, total: sent.append((done, total)))
    take = c.takes.create_singlecam(sources=[{"deviceLabel": "cam01", "fileId": file.id, "format": "MP4"}],
                                    name="flow take", metadata={"shot": 7})
    job = c.jobs.create_singlecam(take.id, options={"mocapModel": "S1", "track_fingers": False},
                                  clip_window=CLIP, name="flow/../job", metadata={"scene": "walk"})
    updates = []
    done = c.jobs.wait(job.id, interval=0.2, timeout=240, on_update=updates.append)
    return {"client": c, "file": file, "take": take, "job": job, "done": done, "updates": updates,
            "sent": sent, "dir": tmp_path_factory.mktemp("outputs")}


def test_upload_reported_progress_and_the_take_holds_the_file(finished, sample_video):
    size = sample_video.stat().st_size
    assert finished["sent"][-1] == (size, size)
    take = finished["client"].takes.retrieve(finished["take"].id)
    assert take.take_type == "SINGLE_CAM" and take.name == "flow take" and take.metadata["shot"] == 7
    assert [(s.device_label, s.file_id, s.format) for s in take.sources] == [("cam01", finished["file"].id, "MP4")]


def test_the_job_ran_to_finished_with_every_default_output(finished):
    job, done, updates = finished["job"], finished["done"], finished["updates"]
    assert job.state in ("NOT_STARTED", "RUNNING") and job.metadata["scene"] == "walk"
    assert done.state == "FINISHED" and done.outputs_ready() and done.percentage == 100
    states = [u.state for u in updates]
    assert states[-1] == "FINISHED" and set(states) <= {"NOT_STARTED", "RUNNING", "FINISHED"}
    percentages = [u.percentage for u in updates if u.percentage is not None]
    assert percentages == sorted(percentages)
    assert done.clip_window == CLIP and done.options.get("mocapModel") == "S1"
    assert {o.key for o in done.outputs} == {"mp4", "fbx", "usdc", "usdz", "blend", "motion_data",
                                             "render_overlay_mp4"}


def test_every_output_downloads_to_a_safe_name(finished):
    c, done, out = finished["client"], finished["done"], finished["dir"]
    paths = c.jobs.download_all(done, out)
    assert set(paths) == {o.key for o in done.outputs}
    for key, path in paths.items():
        assert path.parent == out and path.stat().st_size > 0 and ".." not in path.name and "/" not in path.name
        assert path.name.startswith("flow_._job_") and key in path.name
    assert not list(out.glob("*.part"))
    assert paths["fbx"].suffix == ".fbx" and paths["blend"].suffix == ".blend"
    assert paths["motion_data"].suffix == ".zip" and paths["render_overlay_mp4"].suffix == ".mp4"
    assert paths["fbx"].read_bytes().startswith(b"Kaydara FBX Binary")
    assert paths["mp4"].read_bytes()[4:8] == b"ftyp"
    with zipfile.ZipFile(paths["motion_data"]) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".json"))
        samples = json.loads(archive.read(name))["mocap_data"]
    assert len(samples) == 24  # one per video frame of the clip window


def test_the_fbx_opens_in_blender_with_an_animated_move_armature(finished):
    c, done = finished["client"], finished["done"]
    path = c.jobs.download(done, "FBX", finished["dir"] / "fbx-only")
    found = probe_fbx(path)
    assert found["armatures"] == 1 and found["action"]
    assert {"_1:Hips", "_1:Spine", "_1:LeftArm", "_1:RightUpLeg"} <= set(found["bones"])
    assert found["curves"] > 0 and found["frames"][0] == 1 and len(found["frames"]) == 24


def test_an_expired_output_link_is_renewed_with_get_job(local_server, finished, no_faults):
    c, done = finished["client"], finished["done"]
    reference = c.jobs.download(done, "blend", finished["dir"] / "reference")
    before = len(server_log_lines(local_server, "POST /ugc/graphql"))
    add_fault(local_server, {"route": "download", "expired": True, "count": 1})
    path = c.jobs.download(done, "blend", finished["dir"] / "renewed")
    assert md5_of(path) == md5_of(reference)
    assert len(server_log_lines(local_server, "POST /ugc/graphql")) > before  # getJob asked for a new link


def test_lists_page_through_everything(finished):
    c, take, job = finished["client"], finished["take"], finished["job"]
    by_one = [t.id for t in c.takes.list(first=1)]
    at_once = [t.id for t in c.takes.list(first=100)]
    assert by_one == at_once and take.id in at_once and len(set(at_once)) == len(at_once)
    assert len(list(c.takes.pages(first=1))) >= len(at_once)
    assert [j.id for j in c.jobs.list(take_id=take.id)] == [job.id]
    assert c.takes.list(limit=1)[0].id == at_once[0]
    assert [t.id for t in c.takes.list(first=2, sort_direction="ASC")] == list(reversed(at_once))


def test_a_failed_job_reports_its_reason(local_server, finished, no_faults):
    c = finished["client"]
    add_fault(local_server, {"fail_next_job": "No person was found in the video."})
    job = c.jobs.create_singlecam(finished["take"].id, outputs=["MAIN_FBX"])
    done = c.jobs.wait(job, interval=0.1, timeout=120)
    assert done.is_failed and done.is_terminal and not done.outputs_ready()
    assert done.failure_reason == "No person was found in the video."
    assert server_jobs_of_take(local_server, finished["take"].id)  # still listed, nothing lost


def test_wait_can_be_cancelled_while_polling(finished):
    import threading
    c = finished["client"]
    job = c.jobs.create_singlecam(finished["take"].id, outputs=["MAIN_FBX"])
    cancel = threading.Event()
    with pytest.raises(lib.Cancelled):
        c.jobs.wait(job.id, interval=30, on_update=lambda j: cancel.set(), cancel=cancel)


def test_upload_and_download_stream_without_holding_the_file(client, tmp_path):
    import os
    import tracemalloc
    size = 48 * 1024 * 1024
    video = tmp_path / "long.mp4"
    with open(video, "wb") as out:  # written in pieces so the test itself holds little
        for _ in range(size // (4 * 1024 * 1024)):
            out.write(os.urandom(4 * 1024 * 1024))
    tracemalloc.start()
    try:
        file = client.files.upload(video)
        upload_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        url = client.files.retrieve(file.id).presigned_url
        from lib import transfers
        back = transfers.download_file(url, tmp_path / "back.mp4", refresh_url=lambda: url,
                                       session=client.transport.session, policy=client.transport.policy)
        download_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert upload_peak < 8 * 1024 * 1024 and download_peak < 8 * 1024 * 1024, (upload_peak, download_peak)
    assert back.stat().st_size == size and md5_of(back) == md5_of(video)
