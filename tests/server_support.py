# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the local-server tests: a GraphQL caller, upload/take/job steps, and a test processor.

`InstantTestProcessor` is a test fixture, not a mocap processor: it checks the real video (duration
via ffmpeg) and writes small labelled placeholder files for the requested outputs, so the server's
job lifecycle can be tested in milliseconds. The server loads it with
`--processor tests.server_support:InstantTestProcessor`. `ServerKillingTestProcessor` stands for a
processor that crashes in native code: it kills its own server process (SIGKILL) on every job.
"""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import requests

TEST_PROCESSOR = "tests.server_support:InstantTestProcessor"
KILLING_PROCESSOR = "tests.server_support:ServerKillingTestProcessor"
KEY_A = "test-key-a-0123456789"
KEY_B = "test-key-b-0123456789"
DELAY_ENV = "LOCAL_SERVER_TEST_PROCESSOR_STEP_SECONDS"  # per 10% step; makes jobs slow enough to watch

JOB_FIELDS = """id name state metadata created
  progress { state percentageComplete }
  inputs { clipWindow { startTime endTime } numberOfActors options { mocapModel trackFingers } }
  rig { name }
  take { id }
  outputs { key format file { id type presignedUrl } }"""


class InstantTestProcessor:
    """Test fixture processor: validates the clip window against the real video, writes placeholders."""

    name = "instant-test"
    supported_outputs = ["MAIN_FBX", "MAIN_BLEND", "MAIN_USDC", "MAIN_USDZ", "RENDER_VIDEO",
                         "RENDER_OVERLAY_VIDEO", "MOTION_DATA"]

    def process(self, job, out_dir: Path, progress):
        from imageio_ffmpeg import count_frames_and_secs

        from local_server.output_types import OUTPUTS
        from local_server.processors.base import ProcessingFailed, ProcessorResult

        with open(out_dir.parent / "test-processor-runs.log", "a", encoding="utf-8") as runs:
            runs.write(job.job_id + "\n")
        if job.options.get("trackBall"):
            raise RuntimeError("simulated crash inside the processor (trackBall asked)")
        frames, seconds = count_frames_and_secs(str(job.video_path))
        if job.clip_window and job.clip_window[0] >= seconds:
            raise ProcessingFailed(f"The clip window starts at {job.clip_window[0]:.1f} s, after the video ends "
                                   f"({seconds:.1f} s). Choose a start inside the video.")
        delay = float(os.environ.get(DELAY_ENV, "0"))
        for step in range(1, 10):
            time.sleep(delay)
            progress(step * 10)
        files = {}
        for output_type in job.outputs:
            path = out_dir / f"output{OUTPUTS[output_type][1]}"
            if path.exists():  # RENDER_VIDEO and RENDER_OVERLAY_VIDEO share .mp4
                path = out_dir / f"{output_type.lower()}{OUTPUTS[output_type][1]}"
            path.write_text(f"{output_type} placeholder for {job.job_id}\n", encoding="utf-8")
            files[output_type] = path
        return ProcessorResult(files=files, metadata={"testFrames": frames})


class ServerKillingTestProcessor:
    """Test fixture processor: notes the run, then kills the whole server process, as a crash would."""

    name = "server-killing-test"
    supported_outputs = ["MAIN_FBX"]

    def process(self, job, out_dir: Path, progress):
        import signal

        with open(out_dir.parent / "test-processor-runs.log", "a", encoding="utf-8") as runs:
            runs.write(job.job_id + "\n")
        os.kill(os.getpid(), signal.SIGKILL)


class Api:
    """A bare GraphQL caller over real HTTP (the project's client is tested elsewhere)."""

    def __init__(self, server, key: str | None = None):
        self.server = server
        self.endpoint = server.endpoint
        self.key = key if key is not None else server.api_key
        self.session = requests.Session()

    def post(self, query: str, variables: dict | None = None, key: str | None = None,
             timeout: float = 10) -> requests.Response:
        headers = {"Authorization": self.key if key is None else key}
        return self.session.post(self.endpoint, json={"query": query, "variables": variables or {}},
                                 headers=headers, timeout=timeout)

    def __call__(self, query: str, **variables) -> dict:
        """Run a query that must succeed; returns its data."""
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]

    def errors(self, query: str, **variables) -> list[dict]:
        """Run a query that must fail the AppSync way (HTTP 200, errors); returns the errors."""
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body.get("errors"), body
        return body["errors"]

    # -- steps of the flow -------------------------------------------------------------------
    def create_file(self, file_type: str = "mp4") -> dict:
        return self("mutation($t: String!) { createFile(type: $t) { id type presignedUrl metadata } }",
                    t=file_type)["createFile"]

    def upload(self, path: Path, file_type: str = "mp4") -> dict:
        created = self.create_file(file_type)
        with open(path, "rb") as body:
            response = requests.put(created["presignedUrl"], data=body, timeout=30)
        assert response.status_code == 200, response.text
        return created

    def create_take(self, file_id: str) -> dict:
        return self("""mutation($s: [SourceInput!]) { createSingleCamTake(sources: $s) {
                        id takeType videoFile { id } } }""",
                    s=[{"deviceLabel": "cam01", "fileId": file_id, "format": "MP4"}])["createSingleCamTake"]

    def create_job(self, take_id: str, outputs: list[str] | None = None, **extra) -> dict:
        variables = {"takeId": take_id, "outputs": outputs if outputs is not None else ["MAIN_FBX"], **extra}
        if "metadata" in variables and not isinstance(variables["metadata"], str):
            variables["metadata"] = json.dumps(variables["metadata"])
        return self(f"""mutation($takeId: String!, $outputs: [OutputType], $metadata: AWSJSON,
                        $clipWindow: ClipWindowInput, $options: OptionsInput, $name: String) {{
                      createSingleCamJob(takeId: $takeId, outputs: $outputs, metadata: $metadata,
                                         clipWindow: $clipWindow, options: $options, name: $name) {{ {JOB_FIELDS} }}
                    }}""", **variables)["createSingleCamJob"]

    def get_job(self, job_id: str) -> dict:
        return self(f"query($id: ID!) {{ getJob(jobId: $id) {{ {JOB_FIELDS} }} }}", id=job_id)["getJob"]

    def jobs_of_take(self, take_id: str) -> list[dict]:
        return self(f"query($t: String) {{ listJobs(takeId: $t, first: 100) {{ items {{ {JOB_FIELDS} }} }} }}",
                    t=take_id)["listJobs"]["items"]

    def wait_job(self, job_id: str, states=("FINISHED", "FAILED"), timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            job = self.get_job(job_id)
            if job["progress"]["state"] in states:
                return job
            assert time.monotonic() < deadline, f"job stuck in {job['progress']}"
            time.sleep(0.05)


def non_loopback_address() -> str | None:
    """An address of this machine that is not loopback (to call the server as a remote host would)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # UDP connect sends nothing; it only picks the outgoing address
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address
