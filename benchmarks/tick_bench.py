# SPDX-License-Identifier: GPL-3.0-or-later
"""Main-thread time per modal-timer tick of the add-on's Capture operator while its upload, poll and
download run against a server answering 500 ms late, against the same requests made on the main
thread (what an add-on that blocks on HTTP costs each time it talks to the server). Then the same
ticks with 20 captures watched at once while a CPU-bound process loads the machine, against one
capture alone under the same load.

The bpy module has no event loop, so this drives the operator as Blender's window manager would:
invoke(), then modal() with a TIMER event every 0.1 s (the operator's own timer step)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.addon_child import run_child
from benchmarks.figures import Figure, percentile

LATENCY_MS = 500
FRAME_60FPS_MS = 1000 / 60


def _capture(B, addon, scene, ticks, stages, invoke_ms, import_ms) -> str:
    """One Capture of the scene's active strip, modal as from the UI; each tick's time is noted."""
    op = B.ModalRun("MOVEAI_OT_capture")
    try:
        started = time.perf_counter()
        if op.invoke() != {"RUNNING_MODAL"}:
            raise RuntimeError(f"Capture did not start: {op.reports}")
        invoke_ms.append((time.perf_counter() - started) * 1000)
        record = scene.move_ai.jobs[-1]
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            time.sleep(0.1)  # the operator's TIMER_STEP
            stage = record.stage
            started = time.perf_counter()
            result = op.tick()
            elapsed = (time.perf_counter() - started) * 1000
            if result not in ({"PASS_THROUGH"}, {"RUNNING_MODAL"}):
                import_ms.append(elapsed)  # the tick that imports the result: the import benchmark's subject
                break
            ticks.append(elapsed)
            stages[stage] += 1
        else:
            raise RuntimeError("Capture still running after 600 s")
        if result != {"FINISHED"} or scene.move_ai.jobs[-1].stage != "IMPORTED":
            raise RuntimeError(f"Capture ended {result}: {op.reports}")
        return scene.move_ai.jobs[-1].job_id
    finally:
        op.close()


def _many(B, addon, video, jobs: int) -> list[float]:
    """`jobs` Captures started at once, each ticked every 0.1 s: every tick's time but the import's."""
    scene = B.empty_scene()
    runs = []
    try:
        for i in range(jobs):
            B.add_movie(scene, video, channel=2 + i)
            runs.append(B.ModalRun("MOVEAI_OT_capture"))
            if runs[-1].invoke() != {"RUNNING_MODAL"}:
                raise RuntimeError(f"Capture {i + 1} did not start: {runs[-1].reports}")
        ticks, running = [], list(runs)
        deadline = time.monotonic() + 900
        while running and time.monotonic() < deadline:
            time.sleep(0.1)
            for run in list(running):
                started = time.perf_counter()
                result = run.tick()
                elapsed = (time.perf_counter() - started) * 1000
                if result in ({"PASS_THROUGH"}, {"RUNNING_MODAL"}):
                    ticks.append(elapsed)
                    continue
                running.remove(run)  # its last tick imported the result: not a drain
                if result != {"FINISHED"}:
                    raise RuntimeError(f"a Capture ended {result}: {run.reports}")
        if running:
            raise RuntimeError(f"{len(running)} Captures still running after 900 s")
        return ticks
    finally:
        for run in runs:
            run.close()


def _load():
    """A CPU-bound process for as long as the measurement runs (the machine under load)."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def child(argv: list[str]) -> int:
    from benchmarks import blender_addon as B
    from benchmarks.servers import local_server, set_latency
    from tests.media import make_video
    from lib import MoveClient

    seconds, captures, jobs = float(argv[0]), int(argv[1]), int(argv[2])
    work = Path(tempfile.mkdtemp(prefix="move-bench-tick-"))
    try:
        with local_server(work / "server", "--processor", "reference") as server:
            addon = B.install_addon(work)
            B.configure(server, work / "downloads")
            video = make_video(work / "clip.mp4", seconds=seconds, fps=24, size=(640, 480))
            set_latency(server, LATENCY_MS)
            ticks, stages, invoke_ms, import_ms = [], Counter(), [], []
            for _ in range(captures):
                scene = B.empty_scene()
                B.add_movie(scene, video)
                job_id = _capture(B, addon, scene, ticks, stages, invoke_ms, import_ms)

            # the blocking baseline: the same requests, each made on the main thread
            client = MoveClient(server.api_key, endpoint=server.endpoint)
            blocking = {}
            t = time.perf_counter()
            client.files.upload(video)
            blocking["upload"] = (time.perf_counter() - t) * 1000
            for i in range(3):
                t = time.perf_counter()
                job = client.jobs.retrieve(job_id)
                blocking[f"poll {i + 1}"] = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            client.jobs.download(job, "fbx", work / "blocking")
            blocking["download"] = (time.perf_counter() - t) * 1000
            set_latency(server, 0)

            load = _load()
            try:
                alone = _many(B, addon, video, 1)
                many = _many(B, addon, video, jobs)
            finally:
                load.kill()
                load.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"ticks_ms": ticks, "stages": stages, "invoke_ms": invoke_ms, "import_tick_ms": import_ms,
                      "blocking_ms": blocking, "alone_ms": alone, "many_ms": many}))
    return 0


def run(seconds: float = 4.0, captures: int = 3, jobs: int = 20, log=print) -> list[Figure]:
    got = run_child("benchmarks.tick_bench", str(seconds), str(captures), str(jobs))
    ticks, blocking = got["ticks_ms"], list(got["blocking_ms"].values())
    log(f"  {captures} captures, {len(ticks)} ticks while {', '.join(f'{s.lower()} x{n}' for s, n in got['stages'].items())}; "
        f"server latency {LATENCY_MS} ms")
    log(f"  invoke max {max(got['invoke_ms']):.1f} ms; the last tick (imports the FBX) "
        f"{max(got['import_tick_ms']):.0f} ms at most; "
        "blocking requests " + ", ".join(f"{k} {v:.0f} ms" for k, v in got["blocking_ms"].items()))
    label = "the same upload/poll/download on the main thread"
    alone, many = got["alone_ms"], got["many_ms"]
    log(f"  {jobs} captures at once under load: {len(many)} ticks; one alone under the same load: "
        f"{len(alone)} ticks")
    alone_label = "one capture alone, under the same load"
    return [
        Figure(f"tick p99, {jobs} jobs under load", percentile(many, 99), "ms", percentile(alone, 99),
               alone_label, "p99 < 1 ms", lambda v, r: v < 1),
        Figure(f"tick max, {jobs} jobs under load", max(many), "ms", max(alone), alone_label, "-"),
        Figure("tick p50", percentile(ticks, 50), "ms", percentile(blocking, 50), label, "-"),
        Figure("tick p99", percentile(ticks, 99), "ms", percentile(blocking, 99), label, "p99 < 1 ms",
               lambda v, r: v < 1),
        Figure("tick max", max(ticks), "ms", max(blocking), label,
               f"< {FRAME_60FPS_MS:.1f} ms (a frame at 60 fps)", lambda v, r: v < FRAME_60FPS_MS),
    ]


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    sys.exit(child(sys.argv[2:]))
