# SPDX-License-Identifier: GPL-3.0-or-later
"""The local server's bounds (issue 9, item 9): connections, crashing jobs, long videos, cut uploads.

Real server processes on 127.0.0.1; kills are real SIGKILLs. Every loop is bounded in count and time.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import ROOT, start_server
from server_support import DELAY_ENV, KILLING_PROCESSOR, TEST_PROCESSOR, Api


def thread_count(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads line")


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s: {what}")


def port_of(server) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def test_silent_connections_take_bounded_threads_and_the_rest_wait_in_the_queue(tmp_path):
    """4 handler threads at most: 40 connections that send nothing (half-open, as an attacker would
    hold them) get no more than 4 threads; the kernel queues the rest (a listen backlog of 5 would
    refuse most of them), and a real request queued behind them is answered once they go."""
    server = start_server(tmp_path / "data", "--processor", "reference", "--max-connections", "4")
    silent, real = [], None
    try:
        pid, port = server.process.pid, port_of(server)
        assert requests.get(server.base_url + "/nothing", timeout=5).status_code == 404
        before = thread_count(pid)
        for _ in range(40):
            silent.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        real = socket.create_connection(("127.0.0.1", port), timeout=2)
        real.sendall(b"GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        time.sleep(0.5)  # time enough for a thread-per-connection server to start 41 threads
        assert thread_count(pid) <= before + 4
        for sock in silent:
            sock.close()
        real.settimeout(10)
        assert real.recv(64).startswith(b"HTTP/1.1 404"), "the queued request was not answered"
        assert requests.get(server.base_url + "/nothing", timeout=5).status_code == 404
    finally:
        for sock in silent + [real]:
            if sock is not None:
                sock.close()
        server.stop()


def run_until_it_dies(data_dir: Path, seconds: float = 60) -> str:
    """Start the server on data_dir and wait for it to be killed by its processor; returns its output."""
    env = dict(os.environ, MOVE_LOCAL_API_KEY="test-key-0123456789", PYTHONUNBUFFERED="1")
    run = subprocess.run([sys.executable, "-m", "local_server", "--port", "0", "--data-dir", str(data_dir),
                          "--processor", KILLING_PROCESSOR], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=seconds)
    assert run.returncode == -signal.SIGKILL, run.stdout + run.stderr
    return run.stdout + run.stderr


def test_a_job_that_kills_the_server_ends_failed_after_three_attempts(tmp_path, sample_video, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv(DELAY_ENV, "1.0")  # ten seconds of work: the first crash comes in the middle
    server = start_server(data, "--processor", TEST_PROCESSOR)
    try:
        api = Api(server)
        job = api.create_job(api.create_take(api.upload(sample_video)["id"])["id"], ["MAIN_FBX"])
        runs_log = data / "outputs" / "test-processor-runs.log"
        wait_for(lambda: runs_log.is_file() and job["id"] in runs_log.read_text(), 10, "the processor at work")
        server.process.kill()  # attempt 1 ends as a crash would
        server.process.wait(timeout=10)
    finally:
        server.stop()
    for attempt in (2, 3):  # a processor that takes the server down with it, at every start
        run_until_it_dies(data)
    runs = (data / "outputs" / "test-processor-runs.log").read_text().split()
    assert runs.count(job["id"]) == 3
    server = start_server(data, "--processor", KILLING_PROCESSOR)
    try:
        failed = Api(server).get_job(job["id"])
        assert failed["progress"]["state"] == "FAILED"
        assert "stopped unexpectedly 3 times" in json.loads(failed["metadata"])["failureReason"]
        time.sleep(1.5)  # a worker polls its queue every second: it would have picked the job up by now
        assert server.process.poll() is None
        assert (data / "outputs" / "test-processor-runs.log").read_text().split().count(job["id"]) == 3
    finally:
        server.stop()


def test_clean_stops_in_the_middle_of_a_job_do_not_count_as_attempts(tmp_path, sample_video, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv(DELAY_ENV, "0.5")  # five seconds of work: each stop cuts it off
    job = None
    for stop in range(3):
        server = start_server(data, "--processor", TEST_PROCESSOR)
        try:
            api = Api(server)
            if job is None:
                job = api.create_job(api.create_take(api.upload(sample_video)["id"])["id"], ["MAIN_FBX"])
            api.wait_job(job["id"], states=("RUNNING",), timeout=10)
        finally:
            server.stop()
        assert "interrupted by the stop" in "".join(server.output)
    monkeypatch.setenv(DELAY_ENV, "0")
    server = start_server(data, "--processor", TEST_PROCESSOR)
    try:
        assert Api(server).wait_job(job["id"])["progress"]["state"] == "FINISHED"
    finally:
        server.stop()


def test_a_job_longer_than_the_frame_limit_fails_with_the_reason(tmp_path, sample_video):
    server = start_server(tmp_path / "data", "--processor", TEST_PROCESSOR, "--max-job-frames", "24")
    try:
        api = Api(server)
        take = api.create_take(api.upload(sample_video)["id"])  # 48 frames
        whole = api.wait_job(api.create_job(take["id"], ["MAIN_FBX"])["id"])
        assert whole["progress"]["state"] == "FAILED"
        reason = json.loads(whole["metadata"])["failureReason"]
        assert "48 video frames" in reason and "at most 24" in reason and "clip window" in reason
        window = {"startTime": 0.5, "endTime": 1.5}  # 24 frames: within the limit
        part = api.wait_job(api.create_job(take["id"], ["MAIN_FBX"], clipWindow=window)["id"])
        assert part["progress"]["state"] == "FINISHED"
        runs = (tmp_path / "data" / "outputs" / "test-processor-runs.log").read_text().split()
        assert runs == [part["id"]]  # the long job never reached the processor
    finally:
        server.stop()


def test_an_upload_cut_by_a_kill_leaves_no_partial_file_after_a_restart(tmp_path, sample_video):
    data = tmp_path / "data"
    server = start_server(data, "--processor", "reference")
    created = None
    try:
        api = Api(server)
        created = api.create_file()
        target = created["presignedUrl"].split(server.base_url, 1)[1]
        sock = socket.create_connection(("127.0.0.1", port_of(server)), timeout=5)
        sock.sendall(f"PUT {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {4 * 1024 * 1024}\r\n\r\n"
                     .encode() + b"\0" * (1024 * 1024))
        partials = wait_for(lambda: list((data / "uploads").glob("*.part")), 10, "the .part file")
        server.process.kill()  # kill -9 in the middle of the upload
        server.process.wait(timeout=10)
        sock.close()
        assert all(p.exists() for p in partials)
    finally:
        server.stop()
    again = start_server(data, "--processor", "reference")
    try:
        assert list((data / "uploads").glob("*.part")) == []
        assert "removed 1 partial upload(s)" in "".join(again.output)
        api = Api(again)
        url = api("query($id: ID!) { getFile(fileId: $id) { presignedUrl } }", id=created["id"])["getFile"]["presignedUrl"]
        assert "/transfer/upload/" in url  # still waiting for its data, and it can be sent again
        assert requests.put(url, data=sample_video.read_bytes(), timeout=10).status_code == 200
    finally:
        again.stop()


@pytest.mark.parametrize("flag", ["--max-connections", "--max-job-frames"])
def test_limits_must_be_positive(tmp_path, flag):
    run = subprocess.run([sys.executable, "-m", "local_server", "--data-dir", str(tmp_path), flag, "0"], cwd=ROOT,
                         capture_output=True, text=True, timeout=20)
    assert run.returncode == 2 and flag in run.stderr
