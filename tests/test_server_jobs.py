# SPDX-License-Identifier: GPL-3.0-or-later
"""Jobs on the local server: lifecycle, outputs, failures, FIFO order, and a restart that loses nothing."""
from __future__ import annotations

import json
import time

import pytest
import requests

from conftest import start_server
from server_support import DELAY_ENV, TEST_PROCESSOR, Api

ARCHITECTURE_OUTPUTS = {  # OutputType -> (key/format, file type), docs/ARCHITECTURE.md
    "MAIN_FBX": ("fbx", ".fbx"), "MAIN_BLEND": ("blend", ".blend"), "MAIN_USDC": ("usdc", ".usdc"),
    "MAIN_USDZ": ("usdz", ".usdz"), "RENDER_VIDEO": ("mp4", ".mp4"),
    "RENDER_OVERLAY_VIDEO": ("render_overlay_mp4", ".mp4"), "MOTION_DATA": ("motion_data", ".zip"),
}


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory):
    """Jobs take about 1 s (ten 0.1 s steps), long enough to watch them run."""
    import os
    os.environ[DELAY_ENV] = "0.1"
    try:
        running = start_server(tmp_path_factory.mktemp("jobs-server"), "--processor", TEST_PROCESSOR)
    finally:
        del os.environ[DELAY_ENV]
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api(slow_server):
    return Api(slow_server)


@pytest.fixture(scope="module")
def take(api, sample_video):
    return api.create_take(api.upload(sample_video)["id"])


def test_job_runs_to_finished_with_rising_progress(api, take):
    job = api.create_job(take["id"], ["MAIN_FBX", "MOTION_DATA"])
    seen = []
    while True:
        current = api.get_job(job["id"])
        seen.append((current["progress"]["state"], current["progress"]["percentageComplete"]))
        if current["progress"]["state"] in ("FINISHED", "FAILED"):
            break
        time.sleep(0.03)
    states = [s for s, _ in seen]
    assert states[-1] == "FINISHED", current["metadata"]
    assert "RUNNING" in states
    running = [p for s, p in seen if s == "RUNNING"]
    assert running == sorted(running) and len(set(running)) >= 3  # rises in steps, never falls
    assert seen[-1][1] == 100 and max(running) < 100
    assert current["state"] == "FINISHED"
    assert json.loads(current["metadata"])["testFrames"] == 48  # what the processor reported is kept


def test_outputs_are_registered_by_key_and_downloadable(api, take):
    job = api.wait_job(api.create_job(take["id"], ["MAIN_FBX", "MAIN_BLEND", "RENDER_OVERLAY_VIDEO"])["id"])
    outputs = {o["key"]: o for o in job["outputs"]}
    assert set(outputs) == {"fbx", "blend", "render_overlay_mp4"}
    for output_type in ("MAIN_FBX", "MAIN_BLEND", "RENDER_OVERLAY_VIDEO"):
        key, file_type = ARCHITECTURE_OUTPUTS[output_type]
        output = outputs[key]
        assert output["format"] == key and output["file"]["type"] == file_type
        assert output["file"]["id"].startswith("file-")
        body = requests.get(output["file"]["presignedUrl"], timeout=10)
        assert body.status_code == 200
        assert body.text == f"{output_type} placeholder for {job['id']}\n"
    # the output files are the job owner's files too
    got = api("query($id: ID!) { getFile(fileId: $id) { type } }", id=outputs["fbx"]["file"]["id"])
    assert got["getFile"]["type"] == ".fbx"


def test_empty_outputs_mean_the_single_cam_defaults(api, take):
    job = api.wait_job(api.create_job(take["id"], [])["id"])
    assert job["progress"]["state"] == "FINISHED"
    assert {(o["key"], o["file"]["type"]) for o in job["outputs"]} == set(ARCHITECTURE_OUTPUTS.values())


def test_processing_failure_reaches_metadata(api, take):
    job = api.create_job(take["id"], clipWindow={"startTime": 30.0, "endTime": 31.0},
                         metadata={"clientRequestId": "fail-1"})
    done = api.wait_job(job["id"])
    assert done["progress"]["state"] == "FAILED"
    metadata = json.loads(done["metadata"])
    assert metadata["clientRequestId"] == "fail-1"  # what the user sent stays
    assert "after the video ends" in metadata["failureReason"]
    assert done["outputs"] == []


def test_unexpected_processor_error_is_a_plain_failure(api, take, slow_server):
    done = api.wait_job(api.create_job(take["id"], options={"trackBall": True})["id"])
    reason = json.loads(done["metadata"])["failureReason"]
    assert done["progress"]["state"] == "FAILED"
    assert "internal error" in reason and "simulated crash" not in reason  # details stay in the log
    assert "simulated crash" in "".join(slow_server.output)


def test_jobs_run_first_in_first_out(api, take, slow_server):
    jobs = [api.create_job(take["id"])["id"] for _ in range(3)]
    for job_id in jobs:
        api.wait_job(job_id)
    runs_log = (slow_server.data_dir / "outputs" / "test-processor-runs.log").read_text().split()
    assert [r for r in runs_log if r in jobs] == jobs


def test_update_job_keeps_server_metadata(api, take):
    job = api.wait_job(api.create_job(take["id"], clipWindow={"startTime": 30.0, "endTime": 31.0})["id"])
    updated = api("""mutation($id: String!) { updateJob(id: $id, name: "renamed", metadata: "{\\"note\\": 1}") {
                      name metadata } }""", id=job["id"])["updateJob"]
    metadata = json.loads(updated["metadata"])
    assert updated["name"] == "renamed" and metadata["note"] == 1 and "failureReason" in metadata


def test_restart_keeps_state_and_resumes_a_running_job(tmp_path, sample_video, monkeypatch):
    data_dir = tmp_path / "data"
    monkeypatch.setenv(DELAY_ENV, "1.0")  # ten seconds of work: it will be cut off
    first = start_server(data_dir, "--processor", TEST_PROCESSOR)
    try:
        api = Api(first)
        uploaded = api.upload(sample_video)
        take = api.create_take(uploaded["id"])
        job = api.create_job(take["id"], ["MAIN_FBX"], metadata={"clientRequestId": "resume-1"})
        api.wait_job(job["id"], states=("RUNNING",), timeout=10)
        old_download_url = api("query($id: ID!) { getFile(fileId: $id) { presignedUrl } }",
                               id=uploaded["id"])["getFile"]["presignedUrl"]
    finally:
        stopped_at = time.monotonic()
        first.stop()
    assert time.monotonic() - stopped_at < 15  # SIGTERM is honoured promptly, mid-job
    assert "interrupted by the stop" in "".join(first.output)

    monkeypatch.setenv(DELAY_ENV, "0")
    port = int(first.endpoint.split(":")[2].split("/")[0])  # same address, as a restarted service has
    second = start_server(data_dir, "--processor", TEST_PROCESSOR, port=port)
    try:
        api = Api(second)
        assert "resuming 1 job(s)" in "".join(second.output)
        finished = api.wait_job(job["id"])
        assert finished["progress"]["state"] == "FINISHED"
        assert json.loads(finished["metadata"])["clientRequestId"] == "resume-1"
        assert [j["id"] for j in api.jobs_of_take(take["id"])] == [job["id"]]  # re-run, not duplicated
        assert requests.get(old_download_url, timeout=10).content == sample_video.read_bytes()
        runs = (data_dir / "outputs" / "test-processor-runs.log").read_text().split()
        assert runs.count(job["id"]) == 2
    finally:
        second.stop()


def test_two_workers_run_two_jobs_at_once(tmp_path, sample_video, monkeypatch):
    monkeypatch.setenv(DELAY_ENV, "0.15")
    server = start_server(tmp_path / "data", "--processor", TEST_PROCESSOR, "--workers", "2")
    try:
        api = Api(server)
        take = api.create_take(api.upload(sample_video)["id"])
        jobs = [api.create_job(take["id"])["id"] for _ in range(2)]
        deadline = time.monotonic() + 10
        while sorted(api.get_job(j)["progress"]["state"] for j in jobs) != ["RUNNING", "RUNNING"]:
            assert time.monotonic() < deadline, "the second worker never started the second job"
            time.sleep(0.05)
        assert all(api.wait_job(j)["progress"]["state"] == "FINISHED" for j in jobs)
    finally:
        server.stop()
