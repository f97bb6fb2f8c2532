# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets and trust, in real Blender against a local server: the API key is in no saved .blend,
log line, report or error text (the bytes are searched); downloaded names from the server cannot
leave the download folder; the server listens on loopback only unless told; another client's job is
NotFound through the add-on, and the record survives for the right key.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from addon_fixtures import (add_movie, addon, addon_zip, installed_addon, local_prefs, modal,  # noqa: F401
                            scene)
from conftest import ROOT, start_server
from faults_fixtures import add_fault, armatures, client_options, panel_of  # noqa: F401
from test_client_helpers import clear_faults
from server_support import non_loopback_address

import bpy  # noqa: E402

KEY_A = "mls_" + secrets.token_hex(16)
KEY_B = "mls_" + secrets.token_hex(16)


@pytest.fixture(scope="module")
def two_clients(tmp_path_factory):
    """A local server of this module with two clients (keys A and B), reference processor."""
    server = start_server(tmp_path_factory.mktemp("two-clients"), "--processor", "reference",
                          api_key=f"{KEY_A},{KEY_B}")
    assert server.api_key == KEY_A
    yield server
    server.stop()


@pytest.fixture
def prefs_a(local_prefs, two_clients, monkeypatch):
    monkeypatch.delenv("MOVE_API_KEY", raising=False)
    monkeypatch.delenv("MOVE_LOCAL_API_KEY", raising=False)
    local_prefs.endpoint, local_prefs.api_key = two_clients.endpoint, KEY_A
    return local_prefs


def _leaks(key: str, texts) -> list[str]:
    return [text for text in texts if key in text]


def test_the_key_is_in_no_blend_log_report_or_error(scene, prefs_a, client_options, modal, two_clients,
                                                    sample_video, tmp_path, caplog, capfd):
    caplog.set_level(logging.DEBUG)  # every logger: the add-on's client, urllib3, requests
    seen: list[str] = []
    add_movie(scene, sample_video)

    # a capture that meets faults on its way (retries are logged), then finishes
    add_fault(two_clients, {"route": "graphql", "operation": "getJob", "status": 503, "count": 2})
    add_fault(two_clients, {"route": "download", "expired": True, "count": 1})
    capture = modal("MOVEAI_OT_capture")
    assert capture.run(timeout=60) == {"FINISHED"}, capture.reports
    seen += [text for _, text in capture.reports]

    # errors: a watch that gives up, a wrong key, a job of another key
    add_fault(two_clients, {"route": "graphql", "operation": "getJob", "status": 503})
    add_movie(scene, sample_video, channel=3)
    capture.reports.clear()
    assert capture.run(timeout=60) == {"CANCELLED"}  # (one driver per operator and test)
    seen += [text for _, text in capture.reports]
    record = scene.move_ai.jobs[-1]
    seen += [record.message, str(panel_of(record))]
    clear_faults(two_clients)
    prefs_a.api_key = KEY_A[:-1] + "x"  # one character off: an AuthError
    for operator in ("capture", "test_connection"):
        with pytest.raises(RuntimeError) as caught:
            getattr(bpy.ops.moveai, operator)("EXEC_DEFAULT")
        seen.append(str(caught.value))
        assert "key" in str(caught.value).lower()
    prefs_a.api_key = KEY_B
    with pytest.raises(RuntimeError) as caught:
        bpy.ops.moveai.poll_job("EXEC_DEFAULT", job=record.uid)
    seen.append(str(caught.value))
    prefs_a.api_key = KEY_A

    blend = tmp_path / "with ids.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend), compress=False)
    data = blend.read_bytes()
    assert record.job_id.encode() in data  # the search below is of a file that holds the records

    logs = [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records]
    out, err = capfd.readouterr()
    assert any("GetJob failed" in line for line in logs)  # the retries were logged: the search means something
    for key in (KEY_A, KEY_A[:-1] + "x", KEY_B):
        assert key.encode() not in data
        assert key.encode("utf-16-le") not in data
        assert not _leaks(key, seen), seen
        assert not _leaks(key, logs)
        assert key not in out and key not in err
    # the server says its key once, at start-up, for the user to copy; never in a request line
    server_lines = list(two_clients.output)
    assert [line for line in server_lines if KEY_A in line] == [f"API key: {KEY_A}\n"]
    assert not _leaks(KEY_B, server_lines)
    for path in two_clients.data_dir.rglob("*"):
        if path.is_file() and path.name != "api_key":
            assert KEY_A.encode() not in path.read_bytes(), path


def test_another_clients_job_is_not_found_and_the_record_is_kept(scene, prefs_a, client_options,
                                                                 two_clients, sample_video):
    add_movie(scene, sample_video)
    for step in ("upload_strip", "create_take", "create_job"):
        assert getattr(bpy.ops.moveai, step)("EXEC_DEFAULT") == {"FINISHED"}, step
    record = scene.move_ai.jobs[-1]
    uid, job_id = record.uid, record.job_id
    prefs_a.api_key = KEY_B  # e.g. a colleague's key in this Blender, or the file sent to them
    with pytest.raises(RuntimeError) as caught:
        bpy.ops.moveai.poll_job("EXEC_DEFAULT", job=uid)
    text = str(caught.value)
    assert "no such item" in text and job_id in text and "another key" in text, text
    assert record.job_id == job_id and record.can_watch
    assert panel_of(record)["buttons"].get("Watch Job") == ("moveai.poll_job", uid)
    prefs_a.api_key = KEY_A
    assert bpy.ops.moveai.poll_job("EXEC_DEFAULT", job=uid) == {"FINISHED"}
    assert record.stage == "DOWNLOADED" and Path(record.output_path).is_file()  # step by step: no import


@pytest.mark.parametrize("name", ["../../escape", "..", "/etc/passwd", "a\\..\\..\\b", "CON", "line\nbreak",
                                  "dots....", "\u202eevil.fbx", "名前 with spaces"])
def test_names_from_the_server_never_leave_the_download_folder(scene, local_prefs, client_options,
                                                               sample_video, name):
    """The job is named after the strip and the server sends the name back: the downloaded file
    is still a plain name inside the download folder."""
    strip = add_movie(scene, sample_video)
    strip.name = name
    assert bpy.ops.moveai.capture("EXEC_DEFAULT") == {"FINISHED"}
    record = scene.move_ai.jobs[-1]
    folder = Path(local_prefs.download_dir).resolve()
    output = Path(record.output_path)
    assert output.resolve().parent == folder and output.is_file()
    assert output.suffix == ".fbx" and ".." not in output.name and "/" not in output.name
    assert not re.search(r"[\x00-\x1f\u202e\\]", output.name), output.name
    assert sorted(p.name for p in folder.iterdir()) == [output.name]


def test_the_server_listens_on_loopback_unless_told(tmp_path):
    """Started with no --host, as a user would: reachable on 127.0.0.1, not on this machine's
    network address."""
    address = non_loopback_address()
    proc = subprocess.Popen([sys.executable, "-m", "local_server", "--port", "0", "--data-dir", str(tmp_path),
                             "--processor", "reference"],
                            cwd=ROOT, env=dict(os.environ, PYTHONUNBUFFERED="1"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        while line and not line.startswith("Endpoint:"):
            line = proc.stdout.readline()
        match = re.match(r"Endpoint: http://127\.0\.0\.1:(\d+)/ugc/graphql", line)
        assert match, line
        port = int(match.group(1))
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        if address is None:
            pytest.skip("this machine has no network address besides loopback")
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=5).close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
