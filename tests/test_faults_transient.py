# SPDX-License-Identifier: GPL-3.0-or-later
"""Passing faults during a Capture in real Blender (modal operator, local server's fault rules):
5xx and 429 bursts, timeouts, cut connections, garbled answers and expired links on the API, the
upload and the download are retried, and the user gets the skeleton with one job made, no more.
"""
from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

import pytest

from addon_fixtures import (add_movie, addon, addon_zip, installed_addon, local_prefs, modal,  # noqa: F401
                            scene)
from faults_fixtures import (armatures, client_options, error_texts, fault_hits, faults,  # noqa: F401
                             jobs_on_server, wait_until)

import bpy  # noqa: E402

# One full capture per route and per kind of outcome: a refused request sent again, an answer lost
# after the job was made looked up (never a second job), a cut upload started over, an expired link
# renewed; a cut download resumed and a slow answer timed out are the tests further down. Refusals
# come before the operation runs; 500, garbled and dropped answers after it ran (the add-on cannot
# know whether a take or job was made).
PASSING = {
    "job refused 502": {"route": "graphql", "operation": "createSingleCamJob", "status": 502, "count": 2},
    "job answer lost": {"route": "graphql", "operation": "createSingleCamJob", "drop": True, "count": 1},
    "upload cut midway": {"route": "upload", "drop": True, "count": 1},
    "upload link expired": {"route": "upload", "expired": True, "count": 1},
    "download 500 burst": {"route": "download", "status": 500, "count": 3},
    "download link expired": {"route": "download", "expired": True, "count": 1},
}

# The other faults this file once ran as full captures would only repeat the client's retry and
# lookup through a slower harness: each is proven at the client (tests/test_client_faults.py),
# against the same rules of the local server, by the test and parameter named beside it (checked by
# the last test here). A rule on getJob (the poll) or on every query meets the same retry of queries.
# An errors answer to a poll is final, not passing:
# test_faults_persistent.py::test_an_errors_answer_is_final_and_names_the_operation.
COVERED_BY_THE_CLIENT = {
    "api 503 burst": ("test_a_query_is_retried_through_transient_faults", {"status": 503, "count": 3}),
    "poll 429 burst": ("test_a_query_is_retried_through_transient_faults", {"status": 429, "count": 3}),
    "poll 500 burst": ("test_a_query_is_retried_through_transient_faults", {"status": 500, "count": 2}),
    "poll garbled": ("test_a_query_is_retried_through_transient_faults", {"malformed": True, "count": 2}),
    "take answer lost": ("test_a_take_whose_answer_was_lost_is_found_not_made_twice", {"drop": True, "count": 1}),
    "take answer garbled": ("test_a_take_whose_answer_was_lost_is_found_not_made_twice",
                            {"malformed": True, "count": 1}),
    "job answer 500": ("test_a_job_whose_answer_was_lost_is_found_not_made_twice", {"status": 500, "count": 1}),
    "job answer garbled": ("test_a_job_whose_answer_was_lost_is_found_not_made_twice",
                           {"malformed": True, "count": 1}),
    "upload 503 burst": ("test_an_upload_is_retried_from_the_start", {"status": 503, "count": 3}),
    "upload 429": ("test_an_upload_is_retried_from_the_start", {"status": 429, "count": 1}),
    "download 429": ("test_a_download_is_retried", {"status": 429, "count": 1}),
    # and at the add-on level by test_a_cut_download_resumes_and_the_imported_file_is_whole (cut twice)
    "download cut midway": ("test_a_cut_download_resumes_with_range", None),
}


def _check_captured(driver, result, scene, server, rule_id, strip_name, happened=None):
    assert result == {"FINISHED"}, driver.reports
    assert not error_texts(driver), driver.reports
    record = scene.move_ai.jobs[-1]
    assert record.stage == "IMPORTED" and record.job_state == "FINISHED"
    assert record.file_id and record.take_id and record.job_id
    assert bpy.data.objects[record.imported_object].type == "ARMATURE"
    assert [a.name for a in armatures()] == [strip_name]
    assert jobs_on_server(server, record.take_id) == [record.job_id]  # never a second job
    hits = happened() if happened else fault_hits(server, rule_id)
    assert hits, "the fault never happened: the test proved nothing"
    return record


@pytest.mark.parametrize("rule", PASSING.values(), ids=PASSING.keys())
def test_capture_completes_through(rule, scene, local_prefs, client_options, faults, modal, local_server,
                                   sample_video):
    strip = add_movie(scene, sample_video)
    added = faults.add(rule)
    driver = modal("MOVEAI_OT_capture")
    result = driver.run(timeout=90)
    _check_captured(driver, result, scene, local_server, added["id"], strip.name)
    assert faults.active() == []  # every injected failure was met


@pytest.mark.parametrize("route", ["graphql", "upload", "download"])
def test_an_answer_slower_than_the_timeout_is_retried(route, scene, local_prefs, client_options, faults,
                                                      modal, local_server, sample_video, caplog):
    """One request hangs past the client's read timeout (shortened here, 60 s/120 s by default)."""
    caplog.set_level(logging.INFO)
    client_options.update(timeout=(5.0, 0.5), transfer_timeout=(5.0, 0.5))
    strip = add_movie(scene, sample_video)
    rule = {"route": route, "latency_ms": 1500, "count": 1}
    if route == "graphql":
        rule["operation"] = "getJob"
    added = faults.add(rule)
    log_start = len(local_server.output)
    driver = modal("MOVEAI_OT_capture")

    def slow_answers():  # the server's log line of the request the client gave up on
        lines = list(local_server.output)[log_start:]
        return [line for line in lines if re.search(r" (1[5-9]\d\d|[2-9]\d\d\d)ms", line)]

    result = driver.run(timeout=90)
    wait_until(slow_answers, timeout=5, what="the slow answer in the server's log")
    _check_captured(driver, result, scene, local_server, added["id"], strip.name, happened=slow_answers)
    gave_up = [r.getMessage() for r in caplog.records if "NetworkError" in r.getMessage()]
    assert len(gave_up) == 1, gave_up  # the add-on's client timed out once, then went on
    assert faults.active() == []


def test_a_cut_download_resumes_and_the_imported_file_is_whole(scene, local_prefs, client_options, faults,
                                                               modal, local_server, sample_video):
    """The download breaks halfway twice; what is imported is byte for byte the server's output."""
    strip = add_movie(scene, sample_video)
    added = faults.add({"route": "download", "drop": True, "count": 2})
    driver = modal("MOVEAI_OT_capture")
    record = _check_captured(driver, driver.run(timeout=90), scene, local_server, added["id"], strip.name)
    outputs = [p for p in local_server.data_dir.rglob("*.fbx") if record.job_id in p.parts]
    assert len(outputs) == 1, outputs
    with open(record.output_path, "rb") as mine, open(outputs[0], "rb") as theirs:
        assert hashlib.md5(mine.read()).digest() == hashlib.md5(theirs.read()).digest()
    assert not list(Path(record.download_dir).glob("*.part"))


def test_every_fault_left_to_the_client_is_still_tested_there():
    """The cases above that are no longer captured here must stay in the client's matrix."""
    import test_client_faults

    for case, (name, rule) in COVERED_BY_THE_CLIENT.items():
        test = getattr(test_client_faults, name, None)
        assert callable(test), f"{case!r}: test_client_faults.{name} is gone"
        if rule is not None:
            values = [v for mark in getattr(test, "pytestmark", []) if mark.name == "parametrize"
                      for v in mark.args[1]]
            assert rule in values, f"{case!r}: test_client_faults.{name} no longer runs {rule}"
