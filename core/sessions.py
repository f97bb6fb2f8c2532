# SPDX-License-Identifier: GPL-3.0-or-later
"""Capture sessions: a worker thread doing a job's network steps, and the main-thread side that
stores what it reports in the job's record.

A session is kept in this module's SESSIONS by record uid. Whoever drives it calls `tick()` on the
main thread: a modal operator on its timer events (when a user runs Capture), a blocking loop in an
operator's execute(), or the background app timer for saved jobs watched again after a file was opened. All three
run the same `tick()`, which drains the worker's queue within a time budget and touches bpy.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from typing import Callable

import bpy

from ..lib import capture_pipeline, tasks
from ..lib.errors import Cancelled
from . import settings
from .importer import ImportProblem
from .job_lookup import RECORD_KEY
from .state import find_record, remove_record

log = logging.getLogger(__name__)

RUNNING, FINISHED, FAILED, STOPPED = "RUNNING", "FINISHED", "FAILED", "STOPPED"
# Main-thread seconds, an import excepted: one session's tick, and all sessions together within one
# FRAME (a timer step), so that twenty watched jobs cost a frame no more than a few do. What is left
# over waits in the session's queue for the next tick; progress is coalesced meanwhile.
TICK_BUDGET = 0.0005
FRAME_BUDGET = 0.002
FRAME = 0.1
BACKGROUND_INTERVAL = 0.25

# the stage a record is in while each step runs
STEP_STAGES = {"upload": "UPLOADING", "take": "TAKE", "job": "JOB", "find": "WATCHING",
               "watch": "WATCHING", "download": "DOWNLOADING"}
STEP_DONE_STAGES = {"upload": "UPLOADED", "take": "TAKE", "job": "WATCHING", "find": "WATCHING",
                    "watch": "DOWNLOADING", "download": "DOWNLOADED"}
LOG_LEVELS = {"INFO": logging.INFO, "WARNING": logging.WARNING, "ERROR": logging.ERROR}
RECORD_FIELDS = ("file_id", "take_id", "job_id", "job_state", "percentage", "output_path", "overlay_path",
                 "sync_offsets")

SESSIONS: dict[str, CaptureSession] = {}

Finisher = Callable[[object, object], str]  # (context, record) -> message, on the main thread


class AlreadyRunning(LookupError):
    """A session runs for this record already; str() names the job for the user."""


class CaptureSession:
    """One job's network steps on a worker, applied to the record `uid` of scene `scene_name`."""

    def __init__(self, scene_name: str, uid: str, steps, values: dict,
                 finish: Finisher | None = None, forget_if_failed_early: bool = False,
                 forget_if_unconfirmed: bool = False):
        self.scene_name = scene_name
        self.uid = uid
        # the step the worker is in (written by the worker, read by stop()), and a stop that waits
        # for the job step's answer: a job created at Move must never lose its id to a Stop
        self.running_step = ""
        self.stop_after_job = False
        self.imported = False  # the finish step ran (an import: an undo step of its own)
        self.worker = tasks.Worker([(name, self._guard(name, fn)) for name, fn in steps], values,
                                   name=f"move-ai-{uid[:8]}")
        self.finish = finish
        self.forget_if_failed_early = forget_if_failed_early
        # a record made only to fetch a job by id: dropped when Move never confirmed that job
        self.forget_if_unconfirmed = forget_if_unconfirmed
        self.status = RUNNING
        self.reports: list[tuple[str, str]] = []   # (INFO|WARNING|ERROR, text) not yet shown
        self.driven_by_operator = False
        self.pending: deque[tasks.Message] = deque()  # read from the worker, not applied yet
        self._changed = False  # the record changed this tick: redraw once at its end

    # -- lifecycle -------------------------------------------------------------------------------
    def _guard(self, name: str, function):
        """The step, refused once a stop waits for the job's id (worker thread: no bpy)."""
        def step(context: tasks.StepContext):
            if self.stop_after_job:
                raise Cancelled("stopped once the job's id was saved")
            self.running_step = name
            return function(context)
        return step

    def start(self) -> CaptureSession:
        running = SESSIONS.get(self.uid)
        if running is not None and running.status == RUNNING:
            record = self.record()
            what = f"job {record.job_id}" if record is not None and record.job_id else "this capture"
            raise AlreadyRunning(f"Move AI is already working on {what}; wait for it or press Stop Watching.")
        SESSIONS[self.uid] = self
        self.worker.start()
        return self

    def record(self):
        return find_record(bpy.data.scenes.get(self.scene_name), self.uid)

    def _save_ids(self, record) -> None:
        """Store every id the worker has already sent (not yet applied) in the record."""
        self._take(self.worker.poll())
        for message in self.pending:
            if isinstance(message, tasks.StepDone):
                for key, value in message.values.items():
                    if key in RECORD_FIELDS and value is not None:
                        setattr(record, key, value)
            elif isinstance(message, tasks.Progress) and message.step == "job":
                record.job_requested = True

    def stop(self) -> str:
        """Stop the worker (Stop Watching). The job, if any, keeps running on Move, and its id is
        kept: while the job is being created, the stop waits for Move's answer with the id."""
        record = self.record()
        if record is not None:
            self._save_ids(record)
            if not record.job_id and self.running_step == "job" and self.worker.alive:
                self.stop_after_job = True
                record.job_requested = True
                text = ("Stopping as soon as Move answers with the job's id (the job may exist "
                        "already; it is kept in this file).")
                record.message = text
                redraw()
                return text
        self.worker.abort()
        if record is not None and record.job_id:
            text = (f"Stopped watching job {record.job_id}. It continues on Move; press Watch Job to "
                    "pick it up again (also after reopening this file).")
        else:
            text = "Capture cancelled before a job was created."
        self._end(STOPPED, "WARNING", text, stage="STOPPED")
        return text

    def _end(self, status: str, level: str, text: str, stage: str | None = None) -> None:
        self.status = status
        self.reports.append((level, text))
        record = self.record()
        if record is not None:
            record.message = text
            if stage:
                record.stage = stage
            if status == STOPPED and self.forget_if_failed_early and not record.file_id:
                # cancelled with nothing on the server: leave the scene as it was (a failure stays
                # listed with its reason)
                remove_record(bpy.data.scenes[self.scene_name], self.uid)
            elif status != FINISHED and self.forget_if_unconfirmed and not record.job_state:
                remove_record(bpy.data.scenes[self.scene_name], self.uid)
        if SESSIONS.get(self.uid) is self:
            del SESSIONS[self.uid]
        redraw()

    # -- main thread -----------------------------------------------------------------------------
    def tick(self, context, wait: float = 0.0, budget: float | None = None) -> str:
        """Apply waiting messages (waiting up to `wait` s for one) within the time budget, and return
        the status. `budget` None: TICK_BUDGET, within what the frame's shared budget has left."""
        if self.status != RUNNING:
            return self.status
        self._take(self.worker.poll(wait if not self.pending else 0.0))
        started = time.monotonic()
        allowed = budget if budget is not None else min(TICK_BUDGET, FRAME_CLOCK.left(started))
        deadline = started + allowed
        while self.pending and self.status == RUNNING and allowed > 0:
            self._apply(context, self.pending.popleft())
            if time.monotonic() > deadline:
                break
        if budget is None:
            FRAME_CLOCK.spend(time.monotonic() - started)
        if self._changed:
            self._changed = False
            redraw()
        return self.status

    def _take(self, messages) -> None:
        """Queue the worker's messages; a progress report replaces one not yet applied before it
        (only the latest fraction and text are worth showing)."""
        for message in messages:
            if (isinstance(message, tasks.Progress) and self.pending
                    and isinstance(self.pending[-1], tasks.Progress)):
                self.pending[-1] = message
            else:
                self.pending.append(message)

    def _apply(self, context, message) -> None:
        record = self.record()
        if record is None:  # the scene or record was deleted, or another file was opened
            self.worker.abort()
            self.status = STOPPED
            SESSIONS.pop(self.uid, None)
            return
        if isinstance(message, tasks.Progress):
            if message.step == "job":
                record.job_requested = True  # from here on a job may exist at Move
            record.stage = STEP_STAGES.get(message.step, record.stage)
            if message.fraction is not None:
                record.progress = max(0.0, min(1.0, message.fraction))
            if message.text and record.message != message.text:
                record.message = message.text
            self._changed = True
        elif isinstance(message, tasks.StepDone):
            for key, value in message.values.items():
                if key in RECORD_FIELDS and value is not None:
                    setattr(record, key, value)
            if message.step in STEP_DONE_STAGES and record.stage == STEP_STAGES.get(message.step):
                record.stage = STEP_DONE_STAGES[message.step]
            self._changed = True
        elif isinstance(message, tasks.Failed):
            if message.job_failed:
                record.job_state = "FAILED"
                record.failure_reason = message.message
                text = f"Move could not process job {record.job_id}: {message.message}"
            else:
                text = message.message
            self._end(FAILED, "ERROR", text, stage="FAILED")
        elif isinstance(message, tasks.Stopped):
            self.stop()
        elif isinstance(message, tasks.AllDone):
            self._all_done(context, record)

    def _all_done(self, context, record) -> None:
        if self.finish is None:
            self._end(FINISHED, "INFO", _done_text(record))
            return
        try:
            text = self.finish(context, record)
        except Exception as exc:  # an import problem must reach the user, not the console only
            if not isinstance(exc, ImportProblem):
                log.exception("Finishing job %s failed", record.job_id)
            self._end(FAILED, "ERROR", str(exc))
            return
        self.imported = True
        self._end(FINISHED, "INFO", text)

    def run_blocking(self, context, timeout: float | None = None) -> str:
        """For execute(): wait on the same worker and apply its messages until it ends."""
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while self.tick(context, wait=0.2, budget=1.0) == RUNNING:  # its own loop: no frame to share
                if deadline is not None and time.monotonic() > deadline:
                    self.stop()
        except KeyboardInterrupt:
            self.stop()
        return self.status

    def take_reports(self) -> list[tuple[str, str]]:
        reports, self.reports = self.reports, []
        return reports


class FrameClock:
    """The main-thread time all sessions may still spend in the current frame (FRAME seconds)."""

    def __init__(self) -> None:
        self.frame_start = 0.0
        self.spent = 0.0

    def left(self, now: float) -> float:
        if now - self.frame_start >= FRAME:
            self.frame_start, self.spent = now, 0.0
        return FRAME_BUDGET - self.spent

    def spend(self, seconds: float) -> None:
        self.spent += seconds


FRAME_CLOCK = FrameClock()


def _done_text(record) -> str:
    if record.stage == "DOWNLOADED":
        return f"Job {record.job_id} finished; downloaded {record.output_path}."
    if record.job_id:
        return f"Job {record.job_id} created for strip {record.strip_name!r}."
    if record.take_id:
        return f"Take {record.take_id} created."
    return f"Uploaded {record.strip_name!r} as file {record.file_id}."


def record_values(context, record, client) -> dict:
    """What the worker steps need, copied off the record (the worker never reads bpy)."""
    return {
        "client": client, "video_path": bpy.path.abspath(record.video_path), "file_id": record.file_id,
        "take_id": record.take_id, "job_id": record.job_id, "name": record.strip_name,
        "options": record.options.as_api(),
        "clip_window": (record.clip_start, record.clip_end) if record.clip_end > record.clip_start else None,
        "outputs": capture_pipeline.wanted_outputs(record.import_format, record.want_overlay),
        "import_format": record.import_format, "overlay": record.want_overlay,
        "download_dir": record.download_dir,
        "record_uid": record.uid,
        # the record's uid goes with the job, so a job whose id never reached the file is found again
        "metadata": {"blender": bpy.app.version_string, "addon": "move_ai", RECORD_KEY: record.uid},
    }


def redraw() -> None:
    wm = bpy.context.window_manager
    for window in getattr(wm, "windows", []):
        screen = window.screen
        for area in getattr(screen, "areas", []):
            if area.type in ("SEQUENCE_EDITOR", "VIEW_3D", "PREFERENCES"):
                area.tag_redraw()


def is_watched(uid: str) -> bool:
    """A session is running for the record `uid`."""
    return uid in SESSIONS


def session_for_strip(scene_name: str, strip_name: str) -> CaptureSession | None:
    """The running session of a job of strip `strip_name` in scene `scene_name`, if any."""
    for session in SESSIONS.values():
        if session.status == RUNNING and session.scene_name == scene_name:
            record = session.record()
            if record is not None and record.strip_name == strip_name:
                return session
    return None


def describe(session: CaptureSession) -> str:
    """'job <id>' or 'the upload of <strip>': what a session is working on, for a refusal."""
    record = session.record()
    if record is None:
        return "a capture"
    if record.job_id:
        return f"job {record.job_id}"
    return f"a capture of {record.strip_name!r} ({record.stage.lower()})"


def stop_watching(uid: str | None = None) -> list[str]:
    """Stop the session of record `uid` (None: every session); what each stop says, for the user."""
    uids = [uid] if uid else list(SESSIONS)
    return [SESSIONS[u].stop() for u in uids if u in SESSIONS]


def start_session(context, record, steps, finish: Finisher | None = None,
                  forget_if_failed_early: bool = False, forget_if_unconfirmed: bool = False) -> CaptureSession:
    """A running session for `record` with a client from the settings (SettingsProblem if unusable)."""
    running = SESSIONS.get(record.uid)
    if running is not None and running.status == RUNNING:
        raise AlreadyRunning(f"Move AI is already working on {describe(running)}.")
    client = settings.make_client(context)
    return CaptureSession(context.scene.name, record.uid, steps, record_values(context, record, client),
                          finish=finish, forget_if_failed_early=forget_if_failed_early,
                          forget_if_unconfirmed=forget_if_unconfirmed).start()


# -- sessions no operator drives (saved jobs watched again after a file is opened) run on an app timer ----------
def notify(level: str, text: str) -> None:
    """A report no operator gives (a saved job finished in the background): into Blender's reports
    (status bar, Info editor) through the add-on's report operator, and the log."""
    log.log(LOG_LEVELS.get(level, logging.INFO), "%s", text)
    if hasattr(bpy.types, "MOVEAI_OT_report"):
        try:
            bpy.ops.moveai.report(level=level, message=text)  # type: ignore[attr-defined]
        except RuntimeError:  # bpy.ops hands an ERROR report back as RuntimeError: it was shown
            pass


def push_undo(text: str) -> None:
    """An import made outside an operator becomes its own undo step."""
    try:
        bpy.ops.ed.undo_push(message=text)
    except RuntimeError:
        log.exception("Could not add an undo step for %r", text)


def drive_unattended(session: CaptureSession, context) -> str:
    """One tick of a session no operator drives; its reports go to Blender's reports, an import
    becomes an undo step."""
    status = session.tick(context)
    for level, text in session.take_reports():
        notify(level, text)
    if status == FINISHED and session.imported:
        record = session.record()
        push_undo(f"Import Move job {record.job_id if record is not None else ''}".strip())
    return status


def _drive_background() -> float | None:
    for session in list(SESSIONS.values()):
        if not session.driven_by_operator:
            drive_unattended(session, bpy.context)
    return BACKGROUND_INTERVAL if any(not s.driven_by_operator for s in SESSIONS.values()) else None


def ensure_background_timer() -> None:
    if not bpy.app.timers.is_registered(_drive_background):
        bpy.app.timers.register(_drive_background, first_interval=BACKGROUND_INTERVAL)




def stop_all(join_timeout: float = 2.0) -> None:
    """Abort every worker and forget every session (file closing, add-on disabled)."""
    sessions = list(SESSIONS.values())
    SESSIONS.clear()
    for session in sessions:
        session.worker.abort()
        session.status = STOPPED
    for session in sessions:
        session.worker.join(join_timeout)




def unregister() -> None:
    if bpy.app.timers.is_registered(_drive_background):
        bpy.app.timers.unregister(_drive_background)
    stop_all()
