# SPDX-License-Identifier: GPL-3.0-or-later
"""A daemon worker that runs network steps one after another and posts small typed messages.

The worker never touches bpy: each step gets plain values and returns plain values. Blender's main
thread reads the messages with `poll()` (from a modal timer, or blocking in an operator's execute())
and applies them to the scene. A daemon thread, so quitting Blender never hangs on a transfer.
"""
from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from .errors import Cancelled, JobFailed, MoveError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """A step is under way; `fraction` in 0..1 when known."""
    step: str
    fraction: float | None = None
    text: str = ""


@dataclass(frozen=True)
class StepDone:
    """A step finished; `values` are new facts to store at once (ids, states, paths)."""
    step: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Failed:
    """A step failed; `message` is written for the user and never holds the API key.

    `job_failed`: Move failed the job (the message is its failure reason); `unexpected`: not a
    MoveError but a bug or an OS error, whose traceback is in the log."""
    step: str
    message: str
    job_failed: bool = False
    unexpected: bool = False


@dataclass(frozen=True)
class Stopped:
    """The caller asked the worker to stop; nothing after `step` ran."""
    step: str


@dataclass(frozen=True)
class AllDone:
    """Every step finished."""


Message = Progress | StepDone | Failed | Stopped | AllDone


class StepContext:
    """What a step sees: the values gathered so far, the cancel event and a progress callback."""

    def __init__(self, step: str, values: dict, cancel: threading.Event, post: Callable[[Message], None]):
        self.step = step
        self.values = values
        self.cancel = cancel
        self._post = post

    def progress(self, fraction: float | None = None, text: str = "") -> None:
        self._post(Progress(self.step, fraction, text))

    def store(self, **values: Any) -> None:
        """Hand values to the main thread before the step ends (e.g. a job's state while polling)."""
        self.values.update(values)
        self._post(StepDone(self.step, dict(values)))


Step = tuple[str, Callable[[StepContext], dict | None]]


class Worker:
    """Runs `steps` in order on one daemon thread; messages arrive on a SimpleQueue."""

    def __init__(self, steps: Sequence[Step], values: dict | None = None, name: str = "move-ai-worker"):
        self.steps = list(steps)
        self.values = dict(values or {})
        self.cancel = threading.Event()
        self.messages: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Worker:
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def abort(self) -> None:
        """Ask the running step to stop at its next check (transfers and waits check often)."""
        self.cancel.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def poll(self, timeout: float = 0.0) -> list[Message]:
        """Every waiting message; with a timeout, wait that long for the first one."""
        found: list[Message] = []
        try:
            found.append(self.messages.get(timeout=timeout) if timeout > 0 else self.messages.get_nowait())
        except queue.Empty:
            return found
        while True:
            try:
                found.append(self.messages.get_nowait())
            except queue.Empty:
                return found

    def _run(self) -> None:
        for name, function in self.steps:
            if self.cancel.is_set():
                self.messages.put(Stopped(name))
                return
            context = StepContext(name, self.values, self.cancel, self.messages.put)
            try:
                result = function(context) or {}
            except Cancelled:
                self.messages.put(Stopped(name))
                return
            except MoveError as exc:
                self.messages.put(Failed(name, str(exc), job_failed=isinstance(exc, JobFailed)))
                return
            except Exception as exc:  # a bug or an OS error: report it rather than die silently
                log.exception("Step %r failed unexpectedly", name)
                self.messages.put(Failed(name, f"{type(exc).__name__}: {exc}", unexpected=True))
                return
            self.values.update(result)
            self.messages.put(StepDone(name, dict(result)))
        self.messages.put(AllDone())
