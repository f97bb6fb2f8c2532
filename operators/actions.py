# SPDX-License-Identifier: GPL-3.0-or-later
"""Small operators around the flow: test the connection, open the download folder, pick an endpoint,
copy a job id, tidy the job list, and report what happened in the background."""
from __future__ import annotations

import os
from pathlib import Path

import bpy
from bpy.props import EnumProperty, StringProperty

from ..core import availability, connection, sessions, settings
from ..core.state import find_record, remove_record
from ..lib import tasks
from ..lib.credentials import DEFAULT_ENDPOINT
from .one_request import OneRequestOperator


class MOVEAI_OT_test_connection(OneRequestOperator):
    """Ask Move who this API key belongs to"""
    bl_idname = "moveai.test_connection"
    bl_label = "Test Connection"
    bl_description = "Ask Move (or the local server) who the API key belongs to; shows the answer or what is wrong"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context):
        reason = availability.settings_problem(context)
        if reason:
            cls.poll_message_set(reason)
        return not reason

    def _start(self, context) -> tasks.Worker | None:
        try:
            client = settings.make_client(context)
        except settings.SettingsProblem as exc:
            self._show(False, str(exc))
            return None
        self._endpoint = client.endpoint
        return tasks.Worker([("connect", connection.who_am_i)], {"client": client}, name="move-ai-connect").start()

    def _show(self, ok: bool, text: str) -> None:
        connection.show(ok, text)
        self.report({"INFO" if ok else "ERROR"}, text)

    def _handle(self, messages) -> set | None:
        for message in messages:
            if isinstance(message, tasks.StepDone):
                name = message.values.get("name") or message.values.get("id")
                self._show(True, f"Connected to {self._endpoint} as {name}.")
                return {"FINISHED"}
            if isinstance(message, (tasks.Failed, tasks.Stopped)):
                self._show(False, getattr(message, "message", "Connection test cancelled."))
                return {"CANCELLED"}
        return None

    def _waiting(self) -> None:
        connection.show(False, "Connecting…")


class MOVEAI_OT_open_folder(bpy.types.Operator):
    """Open the folder a job's files were downloaded to"""
    bl_idname = "moveai.open_folder"
    bl_label = "Open Download Folder"
    bl_description = "Open the folder a job's files were downloaded to in the system's file browser"
    bl_options = {"REGISTER"}

    job: StringProperty(name="Job record", options={"SKIP_SAVE", "HIDDEN"},
                        description="uid of the job record whose folder to open; empty: the default folder")

    def execute(self, context):
        record = find_record(context.scene, self.job) if self.job else None
        if record is not None and record.output_path:
            folder = Path(record.output_path).parent
        elif record is not None and record.download_dir:
            folder = Path(record.download_dir)
        else:
            try:
                folder = settings.download_dir(context)
            except settings.SettingsProblem as exc:
                self.report({"ERROR"}, str(exc))
                return {"CANCELLED"}
        if not folder.is_dir():
            self.report({"ERROR"}, f"The folder {str(folder)!r} does not exist yet (nothing downloaded).")
            return {"CANCELLED"}
        bpy.ops.wm.path_open(filepath=os.fspath(folder))
        return {"FINISHED"}


class MOVEAI_OT_use_endpoint(bpy.types.Operator):
    """Point the add-on at Move's cloud or at a local server on this machine"""
    bl_idname = "moveai.use_endpoint"
    bl_label = "Use Endpoint"
    bl_description = "Point the add-on at Move's cloud or at a local server on this machine"
    bl_options = {"REGISTER", "INTERNAL"}

    endpoint: StringProperty(name="Endpoint", description="The GraphQL endpoint to use; empty: Move's cloud")

    def execute(self, context):
        prefs = settings.preferences(context)
        prefs.endpoint = self.endpoint or DEFAULT_ENDPOINT
        context.preferences.is_dirty = True
        return {"FINISHED"}


class MOVEAI_OT_copy_job_id(bpy.types.Operator):
    """Copy a job's Move id to the clipboard"""
    bl_idname = "moveai.copy_job_id"
    bl_label = "Copy Job ID"
    bl_description = "Copy the job's Move id to the clipboard (for support, the web app or a script)"
    bl_options = {"REGISTER", "INTERNAL"}

    job_id: StringProperty(name="Job ID", description="The Move job id to copy", options={"SKIP_SAVE"})

    def execute(self, context):
        if not self.job_id:
            self.report({"ERROR"}, "This job has no Move id yet.")
            return {"CANCELLED"}
        context.window_manager.clipboard = self.job_id
        self.report({"INFO"}, f"Copied {self.job_id}.")
        return {"FINISHED"}


class MOVEAI_OT_remove_job(bpy.types.Operator):
    """Remove a job from this scene's list (the job stays at Move)"""
    bl_idname = "moveai.remove_job"
    bl_label = "Remove Job from List"
    bl_description = ("Remove the job from this scene's list; the job and its imported objects stay "
                      "(at Move and in the scene)")
    bl_options = {"REGISTER", "UNDO"}

    job: StringProperty(name="Job record", description="uid of the job record; empty: the selected one",
                        options={"SKIP_SAVE", "HIDDEN"})

    @classmethod
    def poll(cls, context):
        if context.scene is None or not context.scene.move_ai.jobs:
            cls.poll_message_set("This scene has no Move jobs.")
            return False
        return True

    def execute(self, context):
        state = context.scene.move_ai
        record = (find_record(context.scene, self.job) if self.job
                  else state.jobs[state.active_job_index] if 0 <= state.active_job_index < len(state.jobs)
                  else None)
        if record is None:
            self.report({"ERROR"}, "No job is selected.")
            return {"CANCELLED"}
        if sessions.is_watched(record.uid):
            self.report({"ERROR"}, f"{sessions.describe(sessions.SESSIONS[record.uid]).capitalize()} is "
                                   "still in progress; press Stop Watching first.")
            return {"CANCELLED"}
        text = f"Removed {record.job_id or record.strip_name!r} from the list."
        if record.job_id and record.stage not in ("IMPORTED", "FAILED"):
            text += f" Job {record.job_id} goes on at Move."
        remove_record(context.scene, record.uid)
        state.active_job_index = min(state.active_job_index, len(state.jobs) - 1)
        self.report({"INFO"}, text)
        return {"FINISHED"}


FINISHED_STAGES = ("IMPORTED", "FAILED")


class MOVEAI_OT_clear_finished(bpy.types.Operator):
    """Remove imported and failed jobs from this scene's list"""
    bl_idname = "moveai.clear_finished"
    bl_label = "Clear Finished Jobs"
    bl_description = ("Remove imported and failed jobs from this scene's list (imported objects stay; "
                      "jobs being watched or not yet fetched stay listed)")
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        if context.scene is None or not any(cls._finished(r) for r in context.scene.move_ai.jobs):
            cls.poll_message_set("No imported or failed job in this scene's list.")
            return False
        return True

    @staticmethod
    def _finished(record) -> bool:
        return record.stage in FINISHED_STAGES and not sessions.is_watched(record.uid)

    def execute(self, context):
        state = context.scene.move_ai
        done = [r.uid for r in state.jobs if self._finished(r)]
        for uid in done:
            remove_record(context.scene, uid)
        state.active_job_index = max(0, min(state.active_job_index, len(state.jobs) - 1))
        self.report({"INFO"}, f"Removed {len(done)} finished job{'s' if len(done) != 1 else ''} from the list.")
        return {"FINISHED"}


class MOVEAI_OT_report(bpy.types.Operator):
    """Show a message from work done in the background in Blender's status bar and Info editor"""
    bl_idname = "moveai.report"
    bl_label = "Move AI Report"
    bl_description = "Show a Move AI message in the status bar and the Info editor (used internally)"
    bl_options = {"INTERNAL"}

    level: EnumProperty(name="Level", items=[("INFO", "Info", "A note"), ("WARNING", "Warning", "A warning"),
                                             ("ERROR", "Error", "An error")],
                        description="How the message is shown")
    message: StringProperty(name="Message", description="The text to show")

    def execute(self, context):
        self.report({self.level}, self.message)
        return {"FINISHED"}


CLASSES = (MOVEAI_OT_test_connection, MOVEAI_OT_open_folder, MOVEAI_OT_use_endpoint, MOVEAI_OT_copy_job_id,
           MOVEAI_OT_remove_job, MOVEAI_OT_clear_finished, MOVEAI_OT_report)
