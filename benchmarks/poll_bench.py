# SPDX-License-Identifier: GPL-3.0-or-later
"""Poll cost: getJob requests per minute per job with the add-on's own watch step (lib.capture_pipeline) on
its worker threads (lib.tasks), one job alone and 20 at once, and what draining their messages costs
the main thread against a blocking add-on that polls every job itself."""
from __future__ import annotations

import math
import shutil
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.figures import Figure, percentile
from benchmarks.paced_processor import FINISH_LOG
from benchmarks.servers import ROOT, local_server

PROCESSOR = "benchmarks.paced_processor:PacedProcessor"
TIMER_STEP = 0.1  # the add-on's modal timer step (operators/flow.py)
CLOUD = "https://api.move.ai/ugc/graphql"


@dataclass
class Watched:
    """Every getJob answer one worker saw: (wall time, state, outputs ready)."""
    job_id: str
    polls: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def rate(self, state: str) -> float | None:
        """Requests per minute while the server said `state`: polls in that state over the time from
        the first of them to the first poll in a later state."""
        times = [t for t, s, _ in self.polls if s == state]
        later = [t for t, s, _ in self.polls if s != state and times and t > times[0]]
        if len(times) < 2 or not later:
            return None
        return len(times) / (later[0] - times[0]) * 60

    def seen_finished(self) -> float | None:
        return next((t for t, s, ready in self.polls if s == "FINISHED" and ready), None)


def _observe(client, watched: Watched) -> None:
    """Note each getJob answer of this client (it still goes over real HTTP)."""
    retrieve = client.jobs.retrieve

    def noted(id, **kwargs):
        job = retrieve(id, **kwargs)
        with watched.lock:
            watched.polls.append((time.time(), job.state, job.outputs_ready()))
        return job

    client.jobs.retrieve = noted


def _take(client, work: Path) -> str:
    sys_path_tests()
    from tests.media import make_video
    from lib import Source
    video = make_video(work / "clip.mp4", seconds=1.0, fps=24)
    file = client.files.upload(video)
    return client.takes.create_singlecam(sources=[Source("cam01", file.id, "MP4")]).id


def sys_path_tests() -> None:
    import sys
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def _watch(server, take_id: str, count: int, main_ticks: list[float]) -> list[Watched]:
    """Create `count` jobs, then watch them all at once with the add-on's poll step, draining their
    queues from this (main) thread every TIMER_STEP as the add-on's tick does; time each drain."""
    from lib import MoveClient, capture_pipeline, tasks

    setup = MoveClient(server.api_key, endpoint=server.endpoint)
    jobs = [setup.jobs.create_singlecam(take_id, outputs=["MAIN_FBX"], name=f"poll-{i}") for i in range(count)]
    workers, watched = [], []
    for job in jobs:
        client = MoveClient(server.api_key, endpoint=server.endpoint)  # one per session, as the add-on does
        w = Watched(job.id)
        _observe(client, w)
        watched.append(w)
        workers.append(tasks.Worker(capture_pipeline.steps_from("watch", "watch"), {"client": client, "job_id": job.id}))
    for worker in workers:
        worker.start()
    live = set(range(count))
    deadline = time.monotonic() + 600
    while live and time.monotonic() < deadline:
        started = time.perf_counter()
        for i in list(live):
            for message in workers[i].poll():
                if isinstance(message, (tasks.AllDone, tasks.Failed, tasks.Stopped)):
                    if isinstance(message, tasks.Failed):
                        raise RuntimeError(f"job {jobs[i].id} poll failed: {message.message}")
                    live.discard(i)
        main_ticks.append(time.perf_counter() - started)
        time.sleep(TIMER_STEP)
    if live:
        raise RuntimeError(f"{len(live)} jobs were still being watched after 600 s")
    return watched


def _finish_times(server) -> dict[str, float]:
    found = {}
    for log in server.data_dir.rglob(FINISH_LOG):
        for line in log.read_text().splitlines():
            job_id, t = line.split()
            found[job_id] = float(t)
    return found


def _cloud_rate(minutes: float = 10.0, state: str = "RUNNING") -> tuple[float, float]:
    """getJob per minute over `minutes` of a job on Move answering `state`: the add-on's schedule,
    and jobs.wait's fixed 15 s default (computed from the schedules themselves; this machine cannot
    reach Move)."""
    import inspect

    from lib import capture_pipeline
    from lib.jobs import Jobs
    schedule, t, polls = capture_pipeline.PollSchedule(CLOUD), 0.0, 0
    while t < minutes * 60:
        polls += 1
        t += schedule.next_wait(state)
    fixed = inspect.signature(Jobs.wait).parameters["interval"].default
    return polls / minutes, math.ceil(minutes * 60 / fixed) / minutes


def run(jobs: int = 20, job_seconds: float = 3.0, server_workers: int = 5, log=print) -> list[Figure]:
    from lib import MoveClient, capture_pipeline

    work = Path(tempfile.mkdtemp(prefix="move-bench-poll-"))
    try:
        with local_server(work / "server", "--processor", PROCESSOR, "--workers", str(server_workers),
                          env={"BENCH_JOB_SECONDS": str(job_seconds), "PYTHONPATH": str(ROOT)}) as server:
            client = MoveClient(server.api_key, endpoint=server.endpoint)
            take_id = _take(client, work)
            alone_ticks: list[float] = []
            alone = _watch(server, take_id, 1, alone_ticks)[0]
            many_ticks: list[float] = []
            many = _watch(server, take_id, jobs, many_ticks)
            finished = _finish_times(server)
            # the blocking design: one tick asks getJob for every watched job itself
            blocking = []
            for _ in range(5):
                started = time.perf_counter()
                for w in many:
                    client.jobs.retrieve(w.job_id)
                blocking.append(time.perf_counter() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    interval = capture_pipeline.PollSchedule(server.endpoint).next_wait()
    running_alone = alone.rate("RUNNING")
    running_many = [r for r in (w.rate("RUNNING") for w in many) if r]
    queued_many = [r for r in (w.rate("NOT_STARTED") for w in many) if r]
    lags = [w.seen_finished() - finished[w.job_id] for w in many if w.job_id in finished and w.seen_finished()]
    lag_alone = alone.seen_finished() - finished[alone.job_id]
    ms = 1000
    log(f"  {jobs} jobs of {job_seconds:g} s on {server_workers} server workers; poll interval here "
        f"{interval:g} s; {len(queued_many)} jobs were queued (NOT_STARTED) long enough to measure")
    log(f"  per job getJob/min RUNNING: alone {running_alone:.0f}, with {jobs} at once "
        f"median {statistics.median(running_many):.0f} (min {min(running_many):.0f}); "
        f"NOT_STARTED median {statistics.median(queued_many) if queued_many else float('nan'):.0f}")
    log(f"  finish seen after: alone {lag_alone * ms:.0f} ms; {jobs} at once max {max(lags) * ms:.0f} ms")
    cloud, fixed = _cloud_rate()
    cloud_queued, _ = _cloud_rate(state="NOT_STARTED")
    return [
        Figure("poll requests/min per job", statistics.median(running_many), "1/min", running_alone,
               f"one job alone, same code, same run; interval {interval:g} s on this machine",
               f">= 0.9x alone with {jobs} jobs at once (no job slows another)", lambda v, r: r >= 0.9),
        Figure("poll requests/min per job NOT_STARTED", statistics.median(queued_many) if queued_many
               else float("nan"), "1/min", statistics.median(running_many), "while RUNNING, same jobs",
               "<= 0.5x RUNNING (backs off while queued)", lambda v, r: r <= 0.5),
        Figure("poll requests/min per job on Move", cloud, "1/min", fixed,
               "jobs.wait fixed 15 s; computed from the schedules over a 10 min job",
               "<= 1.1x a fixed 15 s poll", lambda v, r: r <= 1.1),
        Figure("poll requests/min per job NOT_STARTED on Move", cloud_queued, "1/min", cloud,
               "the same schedule while RUNNING; computed over 10 min in each state",
               "<= 0.5x RUNNING (backs off while queued)", lambda v, r: r <= 0.5),
        Figure("poll finish seen after", max(lags) * ms, "ms", lag_alone * ms,
               f"one job alone; value: the slowest of {jobs} at once", f"< one interval ({interval * ms:g} ms) + 200 ms",
               lambda v, r: v < interval * ms + 200),
        Figure("poll main-thread drain p99", percentile(many_ticks, 99) * ms, "ms",
               percentile(blocking, 99) * ms, f"getJob for all {jobs} on the main thread, per tick",
               "< 1 ms", lambda v, r: v < 1),
    ]
