# SPDX-License-Identifier: GPL-3.0-or-later
"""A capture session's drain of its worker's messages on the main thread: progress coalesced, the
work per tick bounded, and nothing lost when a tick stops early (real add-on, real worker thread)."""
from __future__ import annotations

import time

from addon_fixtures import addon, addon_zip, installed_addon, scene  # noqa: F401

import bpy  # noqa: E402


def _chatty(context):
    """An upload that reports progress a thousand times (as a fast transfer does)."""
    for i in range(1, 1001):
        context.progress(i / 1000, f"Uploading part {i}")
    return {"file_id": "file-chatty"}


def test_a_flood_of_progress_is_one_update_and_nothing_is_lost(addon, scene):
    sessions, state = addon.core.sessions, addon.core.state
    record = state.new_record(scene)
    record.strip_name = "clip"
    session = sessions.CaptureSession(scene.name, record.uid, [("upload", _chatty)], {}).start()
    session.worker.join(10)

    session._take(session.worker.poll())
    assert len(session.pending) == 3  # the latest progress, the step's result, the end

    ticks = 0
    while session.tick(bpy.context) == sessions.RUNNING:
        ticks += 1
        assert ticks < 100, session.pending
        time.sleep(sessions.FRAME)  # a new frame, a new shared budget
    assert session.status == sessions.FINISHED
    assert record.file_id == "file-chatty" and record.stage == "UPLOADED"
    assert record.progress == 1.0 and record.message == "Uploaded 'clip' as file file-chatty."


def test_a_spent_frame_budget_leaves_messages_waiting_not_dropped(addon, scene, monkeypatch):
    sessions, state = addon.core.sessions, addon.core.state
    record = state.new_record(scene)
    record.strip_name = "clip"
    session = sessions.CaptureSession(scene.name, record.uid, [("upload", _chatty)], {}).start()
    session.worker.join(10)

    now = time.monotonic()
    sessions.FRAME_CLOCK.left(now)
    sessions.FRAME_CLOCK.spend(sessions.FRAME_BUDGET)  # the other sessions used this frame up
    monkeypatch.setattr(sessions, "FRAME", 60.0)        # ... and the frame lasts
    assert session.tick(bpy.context) == sessions.RUNNING
    assert not record.file_id and len(session.pending) == 3

    monkeypatch.setattr(sessions, "FRAME", 0.0)         # the next frame
    while session.tick(bpy.context) == sessions.RUNNING:
        pass
    assert session.status == sessions.FINISHED and record.file_id == "file-chatty"
