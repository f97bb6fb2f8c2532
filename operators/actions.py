# SPDX-License-Identifier: GPL-3.0-or-later
"""Small operators around the flow: test the connection, open the download folder, pick an endpoint."""
from __future__ import annotations

import os
from pathlib import Path

import bpy
from bpy.props import StringProperty

from ..core import connection, settings
from ..core.state import find_record
from ..lib import tasks
from ..lib.credentials import DEFAULT_ENDPOINT


class MOVEAI_OT_test_connection(bpy.types.Operator):
    """Ask Move who this API key belongs to"""
    bl_idname = "moveai.test_connection"
    bl_label = "Test Connection"
    bl_options = {"REGISTER"}

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

    def _handle(self, messages) -> bool:
        """True when the worker has answered."""
        for message in messages:
            if isinstance(message, tasks.StepDone):
                name = message.values.get("name") or message.values.get("id")
                self._show(True, f"Connected to {self._endpoint} as {name}.")
                return True
            if isinstance(message, (tasks.Failed, tasks.Stopped)):
                self._show(False, getattr(message, "message", "Connection test cancelled."))
                return True
        return False

    def execute(self, context):
        worker = self._start(context)
        if worker is None:
            return {"CANCELLED"}
        while not self._handle(worker.poll(timeout=0.2)):
            pass
        return {"FINISHED"} if connection.CONNECTION["ok"] else {"CANCELLED"}

    def invoke(self, context, event):
        self._worker = self._start(context)
        if self._worker is None:
            return {"CANCELLED"}
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.modal_handler_add(self)
        connection.show(False, "Connecting…")
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        worker = self._worker
        assert worker is not None  # invoke() returns CANCELLED when there is none
        if event.type == "ESC":
            worker.abort()
        elif event.type != "TIMER":
            return {"PASS_THROUGH"}
        if not self._handle(worker.poll()):
            return {"PASS_THROUGH"}
        context.window_manager.event_timer_remove(self._timer)
        for area in context.screen.areas if context.screen else []:
            area.tag_redraw()
        return {"FINISHED"}


class MOVEAI_OT_open_folder(bpy.types.Operator):
    """Open the folder a job's files were downloaded to"""
    bl_idname = "moveai.open_folder"
    bl_label = "Open Download Folder"
    bl_options = {"REGISTER"}

    job: StringProperty(options={"SKIP_SAVE", "HIDDEN"},
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
    bl_options = {"REGISTER", "INTERNAL"}

    endpoint: StringProperty(description="The GraphQL endpoint to use; empty: Move's cloud")

    def execute(self, context):
        prefs = settings.preferences(context)
        prefs.endpoint = self.endpoint or DEFAULT_ENDPOINT
        context.preferences.is_dirty = True
        return {"FINISHED"}


CLASSES = (MOVEAI_OT_test_connection, MOVEAI_OT_open_folder, MOVEAI_OT_use_endpoint)
