# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults that outlast the retry budget, in real Blender: a clear message naming what failed, no
traceback, the take and job ids kept on the record, and the panel offering the way on (Resume,
Import, Re-run) that then completes without a second job on the server.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from addon_fixtures import (add_movie, addon, addon_zip, installed_addon, local_prefs, modal,  # noqa: F401
                            scene, snapshot)
from faults_fixtures import (RETRY_ATTEMPTS, armatures, client_options, error_texts, fault_hits,  # noqa: F401
                             faults, jobs_on_server, panel_of, tick_until)

import bpy  # noqa: E402


def _no_traceback(texts):
    for text in texts:
        assert "Traceback" not in text and 'File "' not in text, text


def test_poll_failing_past_the_budget_keeps_the_job_and_resume_finishes_it(
        scene, local_prefs, client_options, faults, modal, local_server, sample_video):
    add_movie(scene, sample_video)
    capture = modal("MOVEAI_OT_capture")
    assert capture.invoke() == {"RUNNING_MODAL"}
    record = scene.move_ai.jobs[-1]
    rule = faults.add({"route": "graphql", "operation": "getJob", "status": 503})
    tick_until(capture, lambda: record.job_id)
    uid, take_id, job_id = record.uid, record.take_id, record.job_id
    result = None
    while result is None or result == {"PASS_THROUGH"}:
        result = capture.tick()
    assert result == {"CANCELLED"}, capture.reports
    errors = error_texts(capture)
    assert len(errors) == 1 and "HTTP 503" in errors[0] and "GetJob" in errors[0], errors
    assert f"tried {RETRY_ATTEMPTS} times" in errors[0]
    _no_traceback(errors)
    assert len(fault_hits(local_server, rule["id"])) == RETRY_ATTEMPTS  # the budget, no more

    record = scene.move_ai.jobs[-1]
    assert (record.uid, record.take_id, record.job_id) == (uid, take_id, job_id)
    assert not armatures()
    panel = panel_of(record)
    assert errors[0] in panel["texts"], panel
    assert panel["buttons"].get("Watch Job") == ("moveai.poll_job", uid), panel  # not only Re-run
    assert record.can_watch  # ... and reopening the file would resume it too

    faults.clear()
    resume = modal("MOVEAI_OT_poll_job")
    assert resume.run(timeout=60, job=uid) == {"FINISHED"}, resume.reports
    assert record.stage == "IMPORTED" and record.job_id == job_id
    assert jobs_on_server(local_server, take_id) == [job_id]
    assert len(armatures()) == 1


def test_upload_failing_past_the_budget_leaves_the_scene_as_it_was(
        scene, local_prefs, client_options, faults, modal, local_server, sample_video):
    """Nothing exists on the server yet: the scene is as it was but for the failed attempt, listed with
    its reason (issue 10), and the message says what to do."""
    add_movie(scene, sample_video)
    before = snapshot(scene)
    rule = faults.add({"route": "upload", "status": 500})
    capture = modal("MOVEAI_OT_capture")
    assert capture.run(timeout=60) == {"CANCELLED"}
    errors = error_texts(capture)
    assert len(errors) == 1 and "upload" in errors[0] and "HTTP 500" in errors[0] and "Try again" in errors[0]
    _no_traceback(errors)
    assert len(fault_hits(local_server, rule["id"])) == RETRY_ATTEMPTS
    after = snapshot(scene)
    assert after.pop("jobs") == before.pop("jobs") + 1 and after == before
    record = scene.move_ai.jobs[-1]
    assert record.stage == "FAILED" and record.message == errors[0] and not record.file_id


def test_download_failing_past_the_budget_imports_nothing_and_import_fetches_it_later(
        scene, local_prefs, client_options, faults, modal, local_server, sample_video):
    """Every try of the download breaks halfway: the half file is never imported, nor named as
    the output; Import, once the storage answers again, resumes it and imports the whole file."""
    add_movie(scene, sample_video)
    faults.add({"route": "download", "drop": True})
    capture = modal("MOVEAI_OT_capture")
    assert capture.run(timeout=60) == {"CANCELLED"}
    errors = error_texts(capture)
    assert len(errors) == 1 and "download" in errors[0] and "connection broke" in errors[0], errors
    _no_traceback(errors)
    record = scene.move_ai.jobs[-1]
    assert record.job_state == "FINISHED" and record.output_path == "" and not armatures()
    folder = Path(record.download_dir)
    assert [p.suffix for p in folder.iterdir()] == [".part"]  # kept to resume; never imported
    panel = panel_of(record)
    assert panel["buttons"].get("Import") == ("moveai.import_output", record.uid), panel

    faults.clear()
    job_id = record.job_id
    # (the blocking path, as a script runs it)
    assert bpy.ops.moveai.import_output("EXEC_DEFAULT", job=record.uid) == {"FINISHED"}
    assert record.stage == "IMPORTED" and Path(record.output_path).is_file()
    assert [p.suffix for p in folder.iterdir()] == [".fbx"]
    assert len(armatures()) == 1
    assert jobs_on_server(local_server, record.take_id) == [job_id]


def test_an_errors_answer_is_final_and_names_the_operation(
        scene, local_prefs, client_options, faults, modal, local_server, sample_video):
    """A GraphQL `errors` answer is not retried (it would say the same again): one try, the
    server's message and the operation in the report, the job kept for Resume."""
    add_movie(scene, sample_video)
    rule = faults.add({"route": "graphql", "operation": "getJob", "status": 400, "count": 1})
    capture = modal("MOVEAI_OT_capture")
    assert capture.run(timeout=60) == {"CANCELLED"}
    errors = error_texts(capture)
    assert len(errors) == 1 and "GetJob" in errors[0] and "Injected fault: HTTP 400" in errors[0], errors
    assert len(fault_hits(local_server, rule["id"])) == 1
    record = scene.move_ai.jobs[-1]
    assert record.job_id and panel_of(record)["buttons"].get("Watch Job")


def test_garbled_answers_to_every_job_creation_still_make_one_job(
        scene, local_prefs, client_options, faults, modal, local_server, sample_video):
    """Each createSingleCamJob answer is cut after the job was made: the add-on finds its job
    through listJobs every time instead of creating another."""
    add_movie(scene, sample_video)
    faults.add({"route": "graphql", "operation": "createSingleCamJob", "malformed": True})
    capture = modal("MOVEAI_OT_capture")
    assert capture.run(timeout=60) == {"FINISHED"}, capture.reports
    record = scene.move_ai.jobs[-1]
    assert jobs_on_server(local_server, record.take_id) == [record.job_id]
    assert record.stage == "IMPORTED"


def test_job_creation_unknown_and_unlooked_up_says_so_and_makes_no_second_job(
        scene, local_prefs, client_options, faults, modal, local_server, sample_video):
    """The job answer is lost and the lookup fails too: the add-on stops rather than risk a second
    job, says which operation may have run, and keeps the take for the user."""
    add_movie(scene, sample_video)
    faults.add({"route": "graphql", "operation": "createSingleCamJob", "status": 500, "count": 1})
    faults.add({"route": "graphql", "operation": "listJobs", "status": 503})
    capture = modal("MOVEAI_OT_capture")
    assert capture.run(timeout=60) == {"CANCELLED"}
    errors = error_texts(capture)
    assert len(errors) == 1 and "CreateSingleCamJob may or may not have run" in errors[0], errors
    record = scene.move_ai.jobs[-1]
    assert record.take_id and not record.job_id
    faults.clear()
    assert len(jobs_on_server(local_server, record.take_id)) == 1  # made once, not twice
