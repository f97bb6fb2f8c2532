# SPDX-License-Identifier: GPL-3.0-or-later
"""The library's operators: list the account's takes and jobs, import any finished job by id, re-run
any take with other options (asked first: a job costs credits).

Invoked from the UI they run modally on a worker (the main thread never waits on the network);
with 'EXEC_DEFAULT' (scripts) they block on the same worker and are not asked.
"""
from __future__ import annotations

import os

import bpy
from bpy.props import BoolProperty, EnumProperty, StringProperty

from ..core import sessions, settings
from ..core.importer import import_after_download
from ..core.job_options import FIELDS
from ..core.library import LIBRARY, fetch_step, find_job_record, place_record
from ..core.state import IMPORT_FORMATS
from ..lib import tasks
from ..lib.capture_pipeline import steps_from
from .flow import FlowOperator
from .one_request import OneRequestOperator

FORMATS = [("PREFERENCES", "As in Preferences", "The import format set in the add-on preferences"),
           *IMPORT_FORMATS]


class MOVEAI_OT_library_refresh(OneRequestOperator):
    """List the takes and jobs of your Move account, newest first (More: the next page)"""
    bl_idname = "moveai.library_refresh"
    bl_label = "Refresh Library"
    bl_description = "List the takes and jobs of your Move account, newest first (More: the next page)"
    bl_options = {"REGISTER"}

    more: BoolProperty(name="More", options={"SKIP_SAVE"},
                       description="Fetch the next page instead of the first one")

    _endpoint: str = ""

    def _start(self, context) -> tasks.Worker | None:
        if LIBRARY.fetching:
            self.report({"WARNING"}, "The library is being fetched already.")
            return None
        try:
            client = settings.make_client(context)
        except settings.SettingsProblem as exc:
            LIBRARY.failed(str(exc))
            self.report({"ERROR"}, str(exc))
            return None
        self._endpoint = client.endpoint
        more = self.more and LIBRARY.shows(client.endpoint)
        self.more = more
        LIBRARY.busy, LIBRARY.message = True, "Fetching…"
        values = LIBRARY.request(client, more)
        LIBRARY.worker = tasks.Worker([("library", fetch_step)], values, name="move-ai-library").start()
        return LIBRARY.worker

    def _handle(self, messages) -> set | None:
        """The operator's result once the worker has answered, else None."""
        for message in messages:
            if isinstance(message, tasks.StepDone):
                self.report({"INFO"}, LIBRARY.apply(self._endpoint, message.values, self.more))
                return {"FINISHED"}
            if isinstance(message, (tasks.Failed, tasks.Stopped)):
                text = getattr(message, "message", "Fetching the library was cancelled.")
                LIBRARY.failed(text)
                self.report({"ERROR"}, text)
                return {"CANCELLED"}
        return None


def ask(context, operator, width: int = 400) -> set:
    """Show the operator's dialog (its draw()); OK runs its execute(). Without a window to show it
    in (background Blender), say how to run it from a script instead: nothing is done unasked."""
    if bpy.app.background:
        operator.report({"ERROR"}, f"{operator.bl_label} asks first in a dialog, and Blender runs without a "
                                   "window here. From a script, call it with 'EXEC_DEFAULT'.")
        return {"CANCELLED"}
    return context.window_manager.invoke_props_dialog(operator, width=width)


class AskedFirst(FlowOperator):
    """A flow operator that may show a dialog when invoked; OK in the dialog runs it as from the UI
    (modal, on a worker) rather than blocking, as execute() does for scripts. Never registered itself."""

    asked: BoolProperty(options={"HIDDEN", "SKIP_SAVE"},
                        description="Set when the dialog was shown: OK then runs modally")

    def execute(self, context):
        if self.asked:
            return super().invoke(context, None)
        return super().execute(context)


class MOVEAI_OT_import_job(AskedFirst):
    """Import a finished Move job by its id, made here or elsewhere (web app, SDK), onto the active strip or at the current frame"""
    bl_idname = "moveai.import_job"
    bl_label = "Import Job by ID"
    bl_description = ("Import a finished Move job by its id, made here or elsewhere (web app, SDK), onto the "
                      "active strip or at the current frame")
    bl_options = {"REGISTER", "UNDO"}  # type: ignore[assignment]

    job_id: StringProperty(name="Job ID", options={"SKIP_SAVE"},
                           description="Move's id of the job to import (job-...), as the web app or the SDK shows it")
    format: EnumProperty(name="Format", items=FORMATS, default="PREFERENCES", options={"SKIP_SAVE"},
                         description="The output to download and import; another format imports the job again")

    def _format(self, context) -> str:
        return settings.preferences(context).import_format if self.format == "PREFERENCES" else self.format

    def _existing(self, context):
        """This scene's record of the job, when it already has one; LookupError without an id."""
        job_id = self.job_id.strip()
        if not job_id:
            raise LookupError("Give the id of the Move job to import (the web app and the SDK show it).")
        return find_job_record(context.scene, job_id)

    def make_session(self, context):
        record = self._existing(context)
        fmt = self._format(context)
        forget = record is None
        if record is None:
            item = LIBRARY.job(self.job_id.strip())
            record = place_record(context, item.title if item else self.job_id.strip())
            record.job_id = self.job_id.strip()
            record.take_id = item.take_id if item else ""
        elif record.uid in sessions.SESSIONS:
            raise LookupError(f"Job {record.job_id} is being watched or downloaded already; it is imported "
                              "when it arrives.")
        if record.import_format != fmt or record.job_state == "FAILED":
            record.output_path = ""  # another format: download that one
        record.import_format, record.auto_import = fmt, True
        record.stage = "WATCHING"
        return sessions.start_session(context, record, steps_from("watch"), finish=import_after_download,
                                      forget_if_unconfirmed=forget)

    def _import_if_on_disk(self, context):
        try:
            record = self._existing(context)
        except LookupError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        if (record is None or record.import_format != self._format(context) or not record.output_path
                or not os.path.isfile(record.output_path) or record.uid in sessions.SESSIONS):
            return None
        return self._import_now(context, record)

    def execute(self, context):
        return self._import_if_on_disk(context) or super().execute(context)

    def invoke(self, context, event):
        if not self.job_id.strip():  # from a menu: ask for the id
            self.asked = True
            return ask(context, self)
        return self._import_if_on_disk(context) or super().invoke(context, event)

    def draw(self, context):
        layout = self.layout
        if layout is None:
            return
        layout.use_property_split = True
        layout.prop(self, "job_id")
        layout.prop(self, "format")


class MOVEAI_OT_rerun_take(AskedFirst):
    """Run a new Move job on a take of your library with the options shown (asks first: a job costs credits)"""
    bl_idname = "moveai.rerun_take"
    bl_label = "Re-run Take"
    bl_description = ("Run a new Move job on a take of your library with the options shown (asks first: a "
                      "job costs credits)")
    bl_options = {"REGISTER", "UNDO"}  # type: ignore[assignment]

    take_id: StringProperty(name="Take ID", options={"SKIP_SAVE"},
                            description="Move's id of the take to run a new job on")

    def make_session(self, context):
        take_id = self.take_id.strip()
        if not take_id:
            raise LookupError("Give the id of the Move take to run a new job on.")
        item = LIBRARY.take(take_id)
        record = place_record(context, item.title if item else take_id)
        record.take_id = take_id
        return sessions.start_session(context, record, steps_from("job"), finish=import_after_download,
                                      forget_if_failed_early=True)

    def invoke(self, context, event):
        self.asked = True  # spending credits: the user confirms in the dialog, seeing the options
        return ask(context, self)

    def draw(self, context):
        layout = self.layout
        if layout is None:
            return
        item = LIBRARY.take(self.take_id)
        layout.label(text=f"A new job on take {item.title if item else self.take_id} costs credits at Move.",
                     icon="INFO")
        options = settings.job_options(context)
        col = layout.column(align=True)
        col.use_property_split = True
        for name in FIELDS:
            col.prop(options, name)


CLASSES = (MOVEAI_OT_library_refresh, MOVEAI_OT_import_job, MOVEAI_OT_rerun_take)
