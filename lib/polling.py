# SPDX-License-Identifier: GPL-3.0-or-later
"""The one poll loop (jobs.wait, volumes.wait, the capture pipeline's watch step) and its pacing."""
from __future__ import annotations

import threading
import time
from typing import Callable, TypeVar
from urllib.parse import urlsplit

from . import retry
from .credentials import is_loopback_host

T = TypeVar("T")


class PollSchedule:
    """How long to wait before the next getJob, from the state the last one answered.

    A started job is watched at a steady pace: 0.25 s on this machine, Move's 15 s on the cloud after
    a few quicker looks (3, 6, 9, 12 s: a short job should not wait a full interval). A queued job
    (NOT_STARTED) has nothing to show but its start, so each queued answer doubles the wait, up to
    4x the steady pace (1 s here, 60 s on Move); the first answer in another state drops back to
    the steady pace."""

    QUEUED = "NOT_STARTED"

    def __init__(self, endpoint: str, local_interval: float = 0.25, first: float = 3.0,
                 cloud_interval: float = 15.0, backoff: float = 2.0, queued_cap: float = 4.0):
        host = urlsplit(endpoint).hostname or ""
        self.local = is_loopback_host(host)
        self.local_interval, self.first, self.cloud_interval = local_interval, first, cloud_interval
        self.backoff = backoff
        self.queued_limit = queued_cap * (local_interval if self.local else cloud_interval)
        self.count = 0  # answers in a started state: the cloud's ramp up to its interval
        self.queued_wait = 0.0  # the last wait after a queued answer; 0 once the job has started

    def next_wait(self, state: str | None = None) -> float:
        """The wait after an answer in `state` (None: the steady pace, as for a started job)."""
        if state == self.QUEUED:
            base = self.queued_wait or self._steady(self.count + 1)
            self.queued_wait = min(self.queued_limit, base * self.backoff)
            return self.queued_wait
        self.queued_wait = 0.0
        self.count += 1
        return self._steady(self.count)

    def _steady(self, count: int) -> float:
        if self.local:
            return self.local_interval
        return min(self.cloud_interval, self.first * count)


def poll(fetch: Callable[[], T], done: Callable[[T], bool], *, wait: Callable[[T], float],
         timeout: float | None = None, on_update: Callable[[T], None] | None = None,
         timed_out: Callable[[T], Exception] | None = None,
         cancel: threading.Event | None = None) -> T:
    """`fetch()` until `done(answer)`, pausing `wait(answer)` seconds between looks.

    `on_update` sees every answer. With a `timeout`, the pause is cut to what is left and, once
    nothing is left, `timed_out(last answer)` is raised. Setting `cancel` ends a pause at once
    (Cancelled)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        answer = fetch()
        if on_update is not None:
            on_update(answer)
        if done(answer):
            return answer
        pause = wait(answer)
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise (timed_out(answer) if timed_out else TimeoutError(f"still waiting after {timeout:g} s"))
            pause = min(pause, left)
        retry.sleep(pause, cancel)
