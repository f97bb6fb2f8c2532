# SPDX-License-Identifier: GPL-3.0-or-later
"""The one poll loop (lib/polling.py) that jobs.wait, volumes.wait and the capture pipeline's watch
step share: every answer seen, the pause chosen from the last answer, a timeout that cuts the last
pause short and names the last state, and a cancel that ends a pause at once. No server needed."""
from __future__ import annotations

import threading
import time

import pytest

import lib
from lib.polling import PollSchedule, poll


def test_poll_sees_every_answer_and_pauses_by_the_last_one():
    answers = iter(["NOT_STARTED", "RUNNING", "RUNNING", "FINISHED"])
    seen, pauses = [], []

    def wait(state):
        pauses.append(state)
        return 0.001

    assert poll(lambda: next(answers), lambda s: s == "FINISHED", wait=wait, on_update=seen.append) == "FINISHED"
    assert seen == ["NOT_STARTED", "RUNNING", "RUNNING", "FINISHED"]
    assert pauses == ["NOT_STARTED", "RUNNING", "RUNNING"]  # no pause after the last answer


def test_poll_times_out_with_the_last_answer_and_never_oversleeps():
    started = time.monotonic()
    with pytest.raises(lib.WaitTimeout, match="still RUNNING"):
        poll(lambda: "RUNNING", lambda s: False, wait=lambda s: 30.0, timeout=0.2,
             timed_out=lambda s: lib.WaitTimeout(f"still {s}"))
    assert time.monotonic() - started < 5.0  # the 30 s pause was cut to what the timeout left


def test_poll_is_cancelled_in_the_middle_of_a_pause():
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(lib.Cancelled):
        poll(lambda: "RUNNING", lambda s: False, wait=lambda s: 30.0, cancel=cancel)
    assert time.monotonic() - started < 5.0


def test_the_capture_pipeline_schedule_drives_the_same_loop():
    # A queued job backs off (0.5, 1.0, 1.0 s here), a started one goes back to the steady 0.25 s.
    schedule = PollSchedule("http://127.0.0.1:8765/ugc/graphql")
    waits = []
    answers = iter(["NOT_STARTED"] * 3 + ["RUNNING", "FINISHED"])

    def wait(state):
        waits.append(schedule.next_wait(state))
        return 0.0

    poll(lambda: next(answers), lambda s: s == "FINISHED", wait=wait)
    assert waits == [0.5, 1.0, 1.0, 0.25]
