# SPDX-License-Identifier: GPL-3.0-or-later
"""Job ids live in the .blend the moment they exist: save mid-job, reopen, and the job resumes and
finishes; Esc belongs to Blender (it passes through), Stop Watching stops without losing the job, and
a stopped job stays stopped across a reload. The API key never reaches the saved file.

The bpy module has no event loop: modal() is called with stand-in TIMER/ESC events (blender_harness.ModalRun).
"""
from __future__ import annotations

import sys

from addon_fixtures import (MODULE, FakeEvent, add_movie, addon, addon_zip, armature_keys,  # noqa: F401
                            capture_until_job, installed_addon, local_prefs, modal, scene)

import bpy  # noqa: E402


def test_save_mid_job_reopen_resume(scene, local_prefs, modal, sample_video, tmp_path):
    strip = add_movie(scene, sample_video, frame_start=37, trim_start=6, trim_end=10)
    first, count = strip.frame_final_start, strip.frame_final_duration
    capture, record = capture_until_job(modal, scene)
    uid, job_id, state = record.uid, record.job_id, record.job_state
    assert state in ("NOT_STARTED", "RUNNING") and record.take_id and record.file_id

    path = tmp_path / "mid_job.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path), compress=False)
    data = path.read_bytes()
    assert job_id.encode() in data  # the ids are in the file (so the search below means something)
    assert local_prefs.api_key and local_prefs.api_key.encode() not in data

    bpy.ops.wm.open_mainfile(filepath=str(path))  # as after a restart: load_post resumes the job
    session = sys.modules[MODULE + ".core.sessions"]
    assert uid in session.SESSIONS and not session.SESSIONS[uid].driven_by_operator
    assert bpy.app.timers.is_registered(session._drive_background)

    watch = modal("MOVEAI_OT_poll_job")  # the panel's Resume takes the background session over
    assert watch.run(timeout=60, job=uid) == {"FINISHED"}, watch.reports
    sc = bpy.context.scene
    record = next(r for r in sc.move_ai.jobs if r.uid == uid)
    assert record.job_state == "FINISHED" and record.stage == "IMPORTED"
    arm = bpy.data.objects[record.imported_object]
    assert armature_keys(arm) == [float(f) for f in range(first, first + count)]


def test_escape_passes_through_and_stop_then_watch_resumes(scene, local_prefs, modal, sample_video):
    add_movie(scene, sample_video)
    capture, record = capture_until_job(modal, scene)
    for event in (FakeEvent("ESC", "PRESS"), FakeEvent("ESC", "RELEASE"), FakeEvent("SPACE", "PRESS")):
        assert capture.tick(event) == {"PASS_THROUGH"}  # stopping playback must not stop watching
    assert record.stage == "WATCHING" or record.stage == "DOWNLOADING"
    assert bpy.ops.moveai.cancel_poll("EXEC_DEFAULT", job=record.uid) == {"FINISHED"}  # the panel's button
    assert capture.tick() == {"CANCELLED"}
    assert record.stage == "STOPPED" and "continues on Move" in record.message
    assert record.job_id in record.message
    assert not [o for o in bpy.data.objects if o.type == "ARMATURE"]
    assert bpy.ops.moveai.poll_job("EXEC_DEFAULT", job=record.uid) == {"FINISHED"}
    assert record.stage == "IMPORTED" and bpy.data.objects[record.imported_object].type == "ARMATURE"


def test_cancel_poll_operator(scene, local_prefs, modal, sample_video):
    add_movie(scene, sample_video)
    capture, record = capture_until_job(modal, scene)
    assert bpy.ops.moveai.cancel_poll("EXEC_DEFAULT", job=record.uid) == {"FINISHED"}
    assert capture.tick() == {"CANCELLED"}  # the modal operator notices and ends
    assert record.stage == "STOPPED"


def test_stopped_stays_stopped_after_reopening(scene, local_prefs, modal, sample_video, tmp_path):
    add_movie(scene, sample_video)
    capture, record = capture_until_job(modal, scene)
    uid = record.uid
    assert bpy.ops.moveai.cancel_poll("EXEC_DEFAULT", job=uid) == {"FINISHED"}
    path = tmp_path / "stopped.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.open_mainfile(filepath=str(path))
    session = sys.modules[MODULE + ".core.sessions"]
    assert uid not in session.SESSIONS  # not resumed by itself
    record = next(r for r in bpy.context.scene.move_ai.jobs if r.uid == uid)
    assert record.stage == "STOPPED" and record.can_watch
    assert bpy.ops.moveai.poll_job("EXEC_DEFAULT", job=uid) == {"FINISHED"}  # until Watch Job
    assert record.stage == "IMPORTED"
