# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's pure helpers (no bpy): clip windows and retiming, strip checks, the worker."""
from __future__ import annotations

import threading
import time

import pytest

from lib import errors
from lib.strips import StripFacts, StripProblem, video_path
from lib.tasks import AllDone, Failed, Progress, StepDone, Stopped, Worker
from lib.timing import clip_window, fps_parts, retime_for_import
from lib.capture_pipeline import PollSchedule, steps_from, wanted_outputs


def test_clip_window_of_a_trimmed_strip():
    w = clip_window(frame_offset_start=6, frame_final_duration=32, video_fps=24)
    assert (w.start, w.end) == (0.25, pytest.approx(38 / 24))
    assert w.frame_count(24) == 32  # the server cuts frames round(start*fps) .. round(end*fps)-1
    with pytest.raises(ValueError):
        clip_window(0, 0, 24)


@pytest.mark.parametrize("keyed_fps, video_fps", [(24, 24), (30, 24), (24, 23.976), (25, 50)])
def test_retime_puts_sample_i_on_strip_start_plus_i(keyed_fps, video_fps):
    imported = [1 + i * keyed_fps / video_fps for i in range(40)]  # where an importer lays the keys
    r = retime_for_import(imported[0], keyed_fps, video_fps, strip_start=43)
    assert [r.frame(x) for x in imported] == [43.0 + i for i in range(40)]


def test_retime_at_equal_rates_is_a_shift_or_nothing():
    """Equal rates (up to float noise in a strip's fps) give scale exactly 1: the importer's key spacing
    is kept and only the first key's place matters; a 29.97 clip keyed at 30 needs a rescale."""
    placed = retime_for_import(37.0, 30, 30.000001, strip_start=37)
    assert placed.scale == 1.0 and placed.is_identity
    shifted = retime_for_import(1.0, 24, 24, strip_start=43)
    assert shifted.shift_only and not shifted.is_identity and shifted.shift == 42
    ntsc = retime_for_import(37.0, 30, 30000 / 1001, strip_start=37)
    assert not ntsc.shift_only
    assert [ntsc.frame(37 + k * 1.001) for k in (0, 1, 299)] == [37.0, 38.0, 336.0]


def test_fps_parts():
    assert fps_parts(24) == (24, 1.0)
    assert fps_parts(29.97) == (30, pytest.approx(1.001, abs=1e-4))


def _facts(tmp_path, **kw):
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x" * 10)
    base = dict(name="v", type="MOVIE", filepath=str(video), blend_path="", absolute_path=str(video),
                fps=24.0, frame_final_duration=10)
    base.update(kw)
    return StripFacts(**base)


def test_strip_checks(tmp_path):
    assert video_path(_facts(tmp_path)) == tmp_path / "v.mp4"
    with pytest.raises(StripProblem, match="sound strip"):
        video_path(_facts(tmp_path, type="SOUND"))
    with pytest.raises(StripProblem, match="never saved"):
        video_path(_facts(tmp_path, filepath="//v.mp4", absolute_path="//v.mp4"))
    with pytest.raises(StripProblem, match="not a video Move accepts"):
        (tmp_path / "v.mkv").write_bytes(b"x")
        video_path(_facts(tmp_path, filepath=str(tmp_path / "v.mkv"), absolute_path=str(tmp_path / "v.mkv")))
    with pytest.raises(StripProblem, match="shows no frames"):
        video_path(_facts(tmp_path, frame_final_duration=0))


def test_worker_runs_steps_in_order_and_reports():
    seen = []

    def first(ctx):
        ctx.progress(0.5, "half")
        return {"a": 1}

    def second(ctx):
        seen.append(ctx.values["a"])
        return {"b": 2}

    w = Worker([("first", first), ("second", second)]).start()
    w.join(5)
    messages = w.poll()
    assert messages == [Progress("first", 0.5, "half"), StepDone("first", {"a": 1}), StepDone("second", {"b": 2}),
                        AllDone()]
    assert seen == [1] and w.values["b"] == 2 and not w.alive


def test_worker_failure_and_abort():
    def fails(ctx):
        raise errors.AuthError("Move refused the API key.")

    w = Worker([("x", fails), ("never", lambda ctx: {})]).start()
    w.join(5)
    assert w.poll() == [Failed("x", "Move refused the API key.")]

    started = threading.Event()

    def waits(ctx):
        started.set()
        if ctx.cancel.wait(10):
            raise errors.Cancelled("Cancelled.")

    w = Worker([("wait", waits)], name="move-ai-test").start()
    started.wait(5)
    t = time.monotonic()
    w.abort()
    w.join(5)
    assert time.monotonic() - t < 1 and w.poll() == [Stopped("wait")]


LOCAL, CLOUD = "http://127.0.0.1:8765/ugc/graphql", "https://api.move.ai/ugc/graphql"


def test_poll_schedule_steady_pace():
    local, cloud = PollSchedule(LOCAL), PollSchedule(CLOUD)
    assert [local.next_wait("RUNNING") for _ in range(3)] == [0.25] * 3
    assert local.next_wait() == 0.25  # no state: the steady pace
    assert [cloud.next_wait("RUNNING") for _ in range(6)] == [3, 6, 9, 12, 15, 15]  # Move's 15 s, sooner first


def test_poll_schedule_backs_off_while_queued_and_drops_back_when_running():
    local, cloud = PollSchedule(LOCAL), PollSchedule(CLOUD)
    assert [local.next_wait("NOT_STARTED") for _ in range(4)] == [0.5, 1.0, 1.0, 1.0]  # capped at 4x 0.25
    assert local.next_wait("RUNNING") == 0.25
    assert local.next_wait("NOT_STARTED") == 0.5  # a new queued spell starts its doubling afresh
    assert [cloud.next_wait("NOT_STARTED") for _ in range(6)] == [6, 12, 24, 48, 60, 60]
    assert [cloud.next_wait("RUNNING") for _ in range(6)] == [3, 6, 9, 12, 15, 15]


def test_poll_schedule_costs_queued_jobs_half_or_less():
    """getJob per minute over ten minutes in each state: a queued job at most half a started one,
    on Move and on this machine."""
    for endpoint in (LOCAL, CLOUD):
        rates = {}
        for state in ("NOT_STARTED", "RUNNING"):
            schedule, t, polls = PollSchedule(endpoint), 0.0, 0
            while t < 600:
                polls, t = polls + 1, t + schedule.next_wait(state)
            rates[state] = polls / 10
        assert rates["NOT_STARTED"] <= 0.5 * rates["RUNNING"], (endpoint, rates)
    assert rates == {"NOT_STARTED": pytest.approx(1.3), "RUNNING": pytest.approx(4.2)}  # on Move


def test_outputs_and_steps():
    assert wanted_outputs("fbx", True) == ["MAIN_FBX", "RENDER_OVERLAY_VIDEO"]
    assert wanted_outputs("blend", False) == ["MAIN_BLEND"]
    assert [n for n, _ in steps_from("job")] == ["job", "watch", "download"]
