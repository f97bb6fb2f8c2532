# SPDX-License-Identifier: GPL-3.0-or-later
"""A job's life across trouble, in real Blender: Move fails it (the reason in the panel, Re-run on
the same take), the server restarts mid-job (the watch goes on), the file is reopened or the add-on
disabled and enabled mid-watch (no orphan threads, no lost ids, the watch resumes).
"""
from __future__ import annotations

import socket
import sys
import time

import pytest

from addon_fixtures import (MODULE, add_movie, addon, addon_zip, capture_until_job, installed_addon,  # noqa: F401
                            dialogs_confirmed, local_prefs, modal, prefs, scene)
from faults_fixtures import (addon_module, armatures, client_options, error_texts, faults,  # noqa: F401
                             jobs_on_server, panel_of, quick_policy, wait_until,
                             worker_threads)
from conftest import start_server

import addon_utils  # noqa: E402  (Blender's, importable once bpy is)
import bpy  # noqa: E402


def test_failed_job_shows_its_reason_and_rerun_makes_a_new_job_on_the_same_take(
        scene, local_prefs, client_options, faults, modal, local_server, sample_video, dialogs_confirmed):
    add_movie(scene, sample_video)
    faults.add({"fail_next_job": "Nobody is visible in the video."})
    capture = modal("MOVEAI_OT_capture")
    assert capture.run(timeout=60) == {"CANCELLED"}
    assert any("Nobody is visible in the video." in text for text in error_texts(capture)), capture.reports
    failed = scene.move_ai.jobs[-1]
    uid, take_id, failed_job = failed.uid, failed.take_id, failed.job_id
    panel = panel_of(failed)
    assert "Nobody is visible in the video." in panel["texts"], panel
    assert panel["buttons"].get("Re-run") == ("moveai.rerun_job", uid), panel
    assert "Watch Job" not in panel["buttons"] and "Import" not in panel["buttons"]
    assert not failed.can_watch and not armatures()

    rerun = modal("MOVEAI_OT_rerun_job")
    assert rerun.run(timeout=60, job=uid) == {"FINISHED"}, rerun.reports
    assert dialogs_confirmed == ["moveai.rerun_job"]  # asked first: a new paid job
    new = scene.move_ai.jobs[-1]
    assert new.uid != uid and new.take_id == take_id and new.stage == "IMPORTED"
    assert sorted(jobs_on_server(local_server, take_id)) == sorted([failed_job, new.job_id])
    old = next(r for r in scene.move_ai.jobs if r.uid == uid)  # the failed job stays on record
    assert old.job_id == failed_job and old.failure_reason == "Nobody is visible in the video."
    assert len(armatures()) == 1


@pytest.fixture
def own_server(tmp_path):
    """A local server of this test alone, on a fixed port so it can be started again there."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = tmp_path / "server-data"
    holder = {"server": start_server(data, "--processor", "reference", port=port)}
    holder["restart"] = lambda: holder.update(server=start_server(data, "--processor", "reference", port=port))
    yield holder
    holder["server"].stop()


def test_server_restart_mid_job_the_watch_goes_on(scene, addon, local_prefs, own_server, modal, monkeypatch,
                                                   sample_video):
    """The server stops while the job is watched (its state is in SQLite) and starts again on the
    same port: the add-on's getJob retries ride over the gap and the job is imported."""
    server = own_server["server"]
    local_prefs.endpoint, local_prefs.api_key = server.endpoint, server.api_key
    # retries spread over ~4-8 s: enough to outlast a restart (the defaults wait up to ~15 s)
    monkeypatch.setattr(addon_module("core.settings"), "CLIENT_OPTIONS",
                        {"retry_policy": quick_policy(attempts=10, base_delay=0.25, max_delay=1.0)})
    add_movie(scene, sample_video)
    capture, record = capture_until_job(modal, scene)
    job_id, state_at_stop = record.job_id, record.job_state
    server.stop()
    assert state_at_stop in ("NOT_STARTED", "RUNNING")  # mid-job: the new process runs it again
    for _ in range(5):  # the watch meets a closed port and keeps trying
        assert capture.tick() == {"PASS_THROUGH"}
    own_server["restart"]()
    again = own_server["server"]
    result = {"PASS_THROUGH"}
    deadline = time.monotonic() + 60
    while result == {"PASS_THROUGH"} and time.monotonic() < deadline:
        result = capture.tick()
        time.sleep(0.05)
    assert result == {"FINISHED"}, (state_at_stop, capture.reports)
    assert record.job_id == job_id and record.stage == "IMPORTED" and len(armatures()) == 1
    assert any("POST /ugc/graphql 200" in line for line in again.output)  # the new process answered
    assert jobs_on_server(again, record.take_id) == [job_id]


def test_reopened_mid_watch_no_orphan_threads_and_the_watch_resumes(scene, local_prefs, client_options,
                                                                     modal, local_server, sample_video,
                                                                     tmp_path):
    add_movie(scene, sample_video)
    capture, record = capture_until_job(modal, scene)
    uid, job_id, take_id = record.uid, record.job_id, record.take_id
    first_workers = worker_threads()
    assert [t.name for t in first_workers] == [f"move-ai-{uid[:8]}"]
    path = tmp_path / "watching.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.open_mainfile(filepath=str(path))

    assert not any(t.is_alive() for t in first_workers)  # the old watch ended with the old file
    session = addon_module("core.sessions")
    assert list(session.SESSIONS) == [uid]  # ... and one new watch of the same record
    assert [t.name for t in worker_threads()] == [f"move-ai-{uid[:8]}"]
    # (Blender ends the modal handlers of a window whose file is replaced: no more ticks for it)
    sc = bpy.context.scene
    record = next(r for r in sc.move_ai.jobs if r.uid == uid)
    assert record.job_id == job_id and record.take_id == take_id

    # Blender's app timer drives the resumed watch (the bpy module has no event loop: call it)
    wait_until(lambda: session._drive_background() is None, timeout=60, what="the background watch")
    assert record.stage == "IMPORTED" and bpy.data.objects[record.imported_object].type == "ARMATURE"
    assert not worker_threads() and not session.SESSIONS
    assert jobs_on_server(local_server, take_id) == [job_id]


def test_disable_enable_mid_watch_keeps_the_ids_and_resume_finishes(scene, local_prefs, client_options,
                                                                     modal, local_server, sample_video):
    add_movie(scene, sample_video)
    capture, record = capture_until_job(modal, scene)
    uid, job_id, take_id = record.uid, record.job_id, record.take_id
    workers = worker_threads()
    assert workers
    downloads = local_prefs.download_dir

    addon_utils.disable(MODULE, default_set=True)
    assert not any(t.is_alive() for t in workers) and not worker_threads()
    addon_utils.enable(MODULE, default_set=True)
    assert not worker_threads()
    p = prefs()  # Blender drops an add-on's preferences with it: the user enters them again
    p.endpoint, p.api_key, p.download_dir = local_server.endpoint, local_server.api_key, downloads

    record = next(r for r in bpy.context.scene.move_ai.jobs if r.uid == uid)
    assert (record.job_id, record.take_id) == (job_id, take_id)
    panel = panel_of(record)
    assert panel["buttons"].get("Watch Job") == ("moveai.poll_job", uid), panel
    assert bpy.ops.moveai.poll_job("EXEC_DEFAULT", job=uid) == {"FINISHED"}
    assert record.stage == "IMPORTED" and len(armatures()) == 1
    assert jobs_on_server(local_server, take_id) == [job_id]
    assert not worker_threads()
    assert sys.modules[MODULE + ".core.sessions"].SESSIONS == {}
