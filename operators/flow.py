# SPDX-License-Identifier: GPL-3.0-or-later
"""The capture operators: the whole flow (moveai.capture) and each of its steps on its own.

Invoked from the UI they are modal while nothing exists at Move yet (upload, take, job): a timer
event ticks the session; every other event (Esc too) passes through to Blender, and watching stops
from the panel (Stop Watching). Once the job's id is saved the operator ends and the add-on's
background timer watches, downloads and imports: a modal operator that lived for the whole job
would hold Blender's autosave off for minutes. Run with
'EXEC_DEFAULT' (scripts, background Blender) they block on the same worker. poll() says why an
operator cannot run now (greyed out, with the reason as its tooltip).
"""
from __future__ import annotations

import os

import bpy
from bpy.props import StringProperty

from ..core import availability, multicam, sessions
from ..core.importer import ImportProblem, import_after_download
from ..core.new_records import record_for_rerun, record_from_active_strip
from ..core.file_load import watch_steps
from ..core.settings import SettingsProblem, job_options
from ..core.state import find_record, latest_record
from ..lib.capture_pipeline import CAPTURE_STEPS, steps_from
from ..lib.strips import StripProblem

TIMER_STEP = 0.1  # seconds between modal timer events


def can_show_dialog() -> bool:
    """Blender has a window to draw a dialog in (a dialog in background mode crashes Blender 5.0)."""
    return not bpy.app.background


def show_dialog(operator, context) -> set:
    """The operator's props dialog; its OK runs execute() (a module function, so tests can stand in)."""
    return context.window_manager.invoke_props_dialog(operator, width=380)


class FlowOperator(bpy.types.Operator):
    """Shared modal/blocking driving of a CaptureSession; subclasses say how to make the session.
    Never registered itself: each subclass is one operator."""

    job: StringProperty(name="Job record", description="uid of the job record; empty: the latest that fits",
                        options={"SKIP_SAVE", "HIDDEN"})

    _uid: str = ""
    _timer: bpy.types.Timer | None = None

    def make_session(self, context) -> sessions.CaptureSession:
        raise NotImplementedError

    def _import_now(self, context, record):
        """Import an output already on disk, on the main thread: no network, nothing to wait for."""
        try:
            text = import_after_download(context, record)
        except ImportProblem as exc:
            record.message = str(exc)
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        record.message = text
        self.report({"INFO"}, text)
        return {"FINISHED"}

    @classmethod
    def refusal(cls, context) -> str:
        """Why the operator cannot run now; empty when it can (subclasses say)."""
        return ""

    @classmethod
    def poll(cls, context):
        reason = cls.refusal(context)
        if reason:
            cls.poll_message_set(reason)
        return not reason

    def _prepare(self, context) -> sessions.CaptureSession | None:
        try:
            return self.make_session(context)
        except (StripProblem, SettingsProblem, ImportProblem, LookupError) as exc:
            self.report({"ERROR"}, str(exc))
            return None

    def _forward(self, session) -> None:
        for level, text in session.take_reports():
            self.report({level}, text)

    def execute(self, context):
        session = self._prepare(context)
        if session is None:
            return {"CANCELLED"}
        session.driven_by_operator = True
        status = session.run_blocking(context)
        self._forward(session)
        return {"FINISHED"} if status == sessions.FINISHED else {"CANCELLED"}

    def invoke(self, context, event):
        return self._run_modal(context)

    def _run_modal(self, context):
        session = self._prepare(context)
        if session is None:
            return {"CANCELLED"}
        session.driven_by_operator = True
        self._uid = session.uid
        wm = context.window_manager
        self._timer = wm.event_timer_add(TIMER_STEP, window=context.window)
        wm.modal_handler_add(self)
        self.report({"INFO"}, "Started; the Move panel shows its progress (Stop Watching there: the job "
                              "goes on at Move).")
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        session = sessions.SESSIONS.get(self._uid)
        if session is None:  # stopped from the panel, or the file was closed
            self._finish(context)
            return {"CANCELLED"}
        if event.type != "TIMER" or event.value == "RELEASE":  # Esc and every key belong to Blender
            return {"PASS_THROUGH"}
        if self._hand_over(context, session):
            return {"FINISHED"}
        status = session.tick(context)
        self._forward(session)
        if status == sessions.RUNNING:
            return {"PASS_THROUGH"}
        self._finish(context)
        if session.imported and "UNDO" not in getattr(self, "bl_options", set()):
            # the import is its own undo step; not through the UNDO option, whose redo panel would
            # run the operator again: another upload and another paid job
            record = session.record()
            sessions.push_undo(f"Import Move job {record.job_id if record is not None else ''}".strip())
        return {"FINISHED"} if status == sessions.FINISHED else {"CANCELLED"}

    def _hand_over(self, context, session) -> bool:
        """Once the job exists (its id saved), leave the watch, download and import to the add-on's
        timer and end: Blender skips its autosave while any modal operator runs, and a job at Move
        can take many minutes. What is left reports to the status bar and the Info editor, and the
        import is an undo step of its own (sessions.drive_unattended)."""
        record = session.record()
        if record is None or not record.job_id or session.stop_after_job or session.status != sessions.RUNNING:
            return False
        self._forward(session)
        session.driven_by_operator = False
        sessions.ensure_background_timer()
        self._finish(context)
        self.report({"INFO"}, f"Job {record.job_id} is at Move; the add-on watches it in the background "
                              "and imports it when it is done (the Move panel shows its progress).")
        return True

    def _finish(self, context) -> None:
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            self._timer = None

    def target_record(self, context, need: str, lacking: str = "", what: str = ""):
        """The record `job` names, else the newest with `need` set and `lacking` unset."""
        if self.job:
            record = find_record(context.scene, self.job)
            if record is None:
                raise LookupError(f"No Move job record {self.job!r} in scene {context.scene.name!r}.")
            if not getattr(record, need):
                raise LookupError(f"Job record of strip {record.strip_name!r} has no {what or need} yet.")
            return record
        record = latest_record(context.scene, need, lacking)
        if record is None:
            raise LookupError(f"No job record in this scene has {what or need}. Run Capture (or the "
                              "steps before this one) first.")
        return record


class MOVEAI_OT_capture(FlowOperator):
    """Send the active movie strip to Move and import the animated skeleton it makes"""
    bl_idname = "moveai.capture"
    bl_label = "Capture Active Strip"
    bl_description = ("Upload the active movie strip's video to Move, make a job with the scene's "
                      "options (this costs credits), and import the animated skeleton it makes")

    @classmethod
    def refusal(cls, context):
        return availability.capture_refusal(context)

    def make_session(self, context):
        busy = availability.strip_busy(context)  # one press, at most one paid job
        if busy:
            raise LookupError(busy)
        record = record_from_active_strip(context)
        record.auto_import = True
        return sessions.start_session(context, record, CAPTURE_STEPS, finish=import_after_download,
                                      forget_if_failed_early=True)


class MOVEAI_OT_upload_strip(FlowOperator):
    """Upload the active movie strip's video to Move (streamed from disk)"""
    bl_idname = "moveai.upload_strip"
    bl_label = "Upload Active Strip"
    bl_description = "Upload the active movie strip's video to Move (streamed from disk); no job yet"

    @classmethod
    def refusal(cls, context):
        return availability.capture_refusal(context)

    def make_session(self, context):
        busy = availability.strip_busy(context)
        if busy:
            raise LookupError(busy)
        record = record_from_active_strip(context)
        return sessions.start_session(context, record, steps_from("upload", "upload"),
                                      forget_if_failed_early=True)


class MOVEAI_OT_create_take(FlowOperator):
    """Create a Move take from the uploaded video"""
    bl_idname = "moveai.create_take"
    bl_label = "Create Take"
    bl_description = "Create a Move take from the latest uploaded video of this scene"

    @classmethod
    def refusal(cls, context):
        return (availability.settings_problem(context)
                or availability.record_missing(context, "file_id", "take_id", "an uploaded video without a take"))

    def make_session(self, context):
        record = self.target_record(context, "file_id", lacking="take_id", what="an uploaded video")
        if len(record.cameras):  # multicam: the volume, then the multicam take
            return multicam.start_multicam(context, record, multicam.steps("volume", "take"))
        return sessions.start_session(context, record, steps_from("take", "take"))


class MOVEAI_OT_create_job(FlowOperator):
    """Create a Move job on the take, with the clip window of the strip's trim"""
    bl_idname = "moveai.create_job"
    bl_label = "Create Job"
    bl_description = ("Create a Move job on the latest take of this scene, with the clip window of "
                      "the strip's trim (this costs credits)")

    @classmethod
    def refusal(cls, context):
        return (availability.settings_problem(context)
                or availability.record_missing(context, "take_id", "job_id", "a take without a job"))

    def make_session(self, context):
        record = self.target_record(context, "take_id", lacking="job_id", what="a take")
        if record.job_id:
            raise LookupError(f"Job record of strip {record.strip_name!r} already has job {record.job_id}; "
                              "use Re-run for another job on the same take.")
        if len(record.cameras):
            return multicam.start_multicam(context, record, multicam.steps("job", "job"))
        return sessions.start_session(context, record, steps_from("job", "job"))


class MOVEAI_OT_poll_job(FlowOperator):
    """Watch a Move job until it ends, then download its output (a job saved in the file too)"""
    bl_idname = "moveai.poll_job"  # kept: other tools call it by this name
    bl_label = "Watch Job"
    bl_description = ("Watch a Move job until it ends, then download its output (also a job saved in "
                      "the file, or one whose watching was stopped)")

    @classmethod
    def refusal(cls, context):
        if context.scene is None or not any(r.can_watch or sessions.is_watched(r.uid)
                                            for r in context.scene.move_ai.jobs):
            return "No job in this scene is left to watch (none made yet, or all finished or failed)."
        return availability.settings_problem(context)

    def make_session(self, context):
        record = self._watch_target(context)
        running = sessions.SESSIONS.get(record.uid)
        if running is not None:  # e.g. watched in the background after opening the file: take it over
            return running
        if record.stage == "FAILED" and record.job_state == "FAILED":
            raise LookupError(f"Job {record.job_id} failed: {record.failure_reason}")
        steps = watch_steps(record)
        if not steps:
            raise LookupError(f"Job {record.job_id} is finished and downloaded; use Import.")
        record.stage = "WATCHING"
        return sessions.start_session(context, record, steps,
                                      finish=import_after_download if record.auto_import else None)

    def _watch_target(self, context):
        """The record `job` names; else the newest one that can be watched."""
        if self.job:
            record = find_record(context.scene, self.job)
            if record is None:
                raise LookupError(f"No Move job record {self.job!r} in scene {context.scene.name!r}.")
            if not (record.job_id or record.can_watch):
                raise LookupError(f"Job record of strip {record.strip_name!r} has no job yet.")
            return record
        for record in reversed(list(context.scene.move_ai.jobs)):
            if record.can_watch or sessions.is_watched(record.uid):
                return record
        raise LookupError("No job in this scene is left to watch (none made yet, or all finished or failed).")


class MOVEAI_OT_rerun_job(FlowOperator):
    """Run a new job on the same take with the current options, then import it"""
    bl_idname = "moveai.rerun_job"
    bl_label = "Re-run Job"
    bl_description = ("Make another Move job on the same take with the options in force now, then "
                      "import it (this costs credits; asks first)")

    _asked: bool = False

    @classmethod
    def refusal(cls, context):
        return (availability.settings_problem(context)
                or availability.record_missing(context, "take_id", what="a take"))

    def invoke(self, context, event):
        """From the UI a new paid job is confirmed first, the options it will be sent with shown;
        scripts (EXEC_DEFAULT) are not asked."""
        try:
            self.target_record(context, "take_id", what="a take")
        except LookupError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        if not can_show_dialog():
            self.report({"ERROR"}, "Re-run makes a new paid job and must be confirmed in Blender's window; "
                                   "from a script, call bpy.ops.moveai.rerun_job() (EXEC_DEFAULT).")
            return {"CANCELLED"}
        self._asked = True
        return show_dialog(self, context)

    def draw(self, context):
        layout = self.layout
        if layout is None:
            return
        source = self.target_record(context, "take_id", what="a take")
        options = job_options(context)
        layout.label(text=f"A new Move job on take {source.take_id} of strip {source.strip_name!r}.")
        layout.label(text=f"Model {options.mocap_model}, fingers {'on' if options.track_fingers else 'off'}, "
                          f"ball {'on' if options.track_ball else 'off'}, floor plane "
                          f"{'on' if options.floor_plane else 'off'}.")
        layout.label(text="Move charges credits for it.", icon="INFO")

    def execute(self, context):
        if self._asked or self.options.is_invoke:  # OK in the dialog
            return self.after_confirm(context)
        return super().execute(context)

    def after_confirm(self, context):
        """Confirmed in the dialog: run as from the UI (modal)."""
        self._asked = False
        return self._run_modal(context)

    def make_session(self, context):
        source = self.target_record(context, "take_id", what="a take")
        if len(source.cameras):  # a multicam take: another multicam job
            return multicam.rerun_session(context, source)
        record = record_for_rerun(context, source)
        return sessions.start_session(context, record, steps_from("job"), finish=import_after_download)


class MOVEAI_OT_import_output(FlowOperator):
    """Import a finished job's output (downloading it first when it is not on disk)"""
    bl_idname = "moveai.import_output"
    bl_label = "Import Job Output"
    bl_description = ("Import a finished job's output into its strip's scene, replacing an earlier "
                      "import of the same job (downloads it first when it is not on disk)")
    bl_options = {"REGISTER", "UNDO"}  # type: ignore[assignment]  # (stubs want literals)

    @classmethod
    def refusal(cls, context):
        return availability.record_missing(context, "job_id", what="a job")

    def make_session(self, context):
        record = self.target_record(context, "job_id", what="a job")
        running = sessions.SESSIONS.get(record.uid)
        if running is not None:  # being watched or downloaded: import when its download ends
            record.auto_import = True
            running.finish = import_after_download
            self.report({"INFO"}, f"Job {record.job_id} is still being fetched; it is imported when the "
                                  "download ends.")
            return running
        if record.job_state == "FAILED":
            raise LookupError(f"Job {record.job_id} failed ({record.failure_reason}); there is nothing "
                              "to import. Re-run it.")
        return sessions.start_session(context, record, steps_from("watch"), finish=import_after_download)

    def _import_if_on_disk(self, context):
        """The operator's result when the output is on disk already (or there is no job); None when
        it must be downloaded first."""
        try:
            record = self.target_record(context, "job_id", what="a job")
        except LookupError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        if record.output_path and os.path.isfile(record.output_path) and not sessions.is_watched(record.uid):
            return self._import_now(context, record)  # no network: nothing to wait for
        return None

    def execute(self, context):
        return self._import_if_on_disk(context) or super().execute(context)

    def invoke(self, context, event):
        return self._import_if_on_disk(context) or super().invoke(context, event)


class MOVEAI_OT_cancel_poll(bpy.types.Operator):
    """Stop watching a job; it keeps running at Move and can be watched again"""
    bl_idname = "moveai.cancel_poll"  # kept: other tools call it by this name
    bl_label = "Stop Watching Job"
    bl_description = "Stop watching a job; it keeps running at Move and Watch Job picks it up again"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context):
        if not sessions.SESSIONS:
            cls.poll_message_set("No Move job is being watched.")
            return False
        return True

    job: StringProperty(options={"SKIP_SAVE", "HIDDEN"},
                        description="uid of the job record; empty: every watched job")

    def execute(self, context):
        stopped = sessions.stop_watching(self.job or None)
        if not stopped:
            self.report({"WARNING"}, "No Move job is being watched.")
            return {"CANCELLED"}
        for text in stopped:
            self.report({"WARNING"}, text)
        return {"FINISHED"}


CLASSES = (MOVEAI_OT_capture, MOVEAI_OT_upload_strip, MOVEAI_OT_create_take, MOVEAI_OT_create_job,
           MOVEAI_OT_poll_job, MOVEAI_OT_rerun_job, MOVEAI_OT_import_output, MOVEAI_OT_cancel_poll)
