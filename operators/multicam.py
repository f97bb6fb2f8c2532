# SPDX-License-Identifier: GPL-3.0-or-later
"""moveai.capture_multicam: the selected movie strips (one per camera) become one multicam capture."""
from __future__ import annotations

import bpy
from bpy.props import StringProperty

from ..core import availability, multicam
from ..core.sessions import is_watched
from ..lib.multicam_pipeline import MULTICAM_STEPS
from .flow import FlowOperator


class MOVEAI_OT_capture_multicam(FlowOperator):
    """Send the selected movie strips, one per camera, to Move as one multicam capture and import the skeleton"""
    bl_idname = "moveai.capture_multicam"
    bl_label = "Capture Multicam (Selected Strips)"
    bl_description = ("Send the selected movie strips, one per camera, to Move as one multicam capture "
                      "(calibrating the cameras once) and import the skeleton in step with the active strip")

    @classmethod
    def refusal(cls, context):
        return availability.multicam_refusal(context)

    def make_session(self, context):
        record = multicam.record_from_selection(context)
        return multicam.start_multicam(context, record, MULTICAM_STEPS)


class MOVEAI_OT_forget_volume(bpy.types.Operator):
    """Stop reusing a volume (e.g. the cameras moved): the next multicam capture of those cameras calibrates again"""
    bl_idname = "moveai.forget_volume"
    bl_label = "Forget Multicam Volume"
    bl_description = ("Stop reusing this calibrated volume (e.g. the cameras moved): the next multicam "
                      "capture of those cameras calibrates again")
    bl_options = {"REGISTER", "UNDO"}  # type: ignore[assignment]

    volume_id: StringProperty(name="Volume", description="Move's id of the volume to forget",
                              options={"SKIP_SAVE", "HIDDEN"})

    def execute(self, context):
        volumes = context.scene.move_ai_multicam.volumes
        index = next((i for i, v in enumerate(volumes) if v.volume_id == self.volume_id), -1)
        volume = volumes[index] if index >= 0 else None
        if volume is None:
            self.report({"ERROR"}, f"This file has no volume {self.volume_id!r}.")
            return {"CANCELLED"}
        if volume.state in ("NOT_STARTED", "RUNNING") and any(
                r.volume_id == volume.volume_id and is_watched(r.uid)
                for r in context.scene.move_ai.jobs):
            self.report({"ERROR"}, f"Volume {volume.volume_id} is being calibrated for a running capture; "
                                   "stop that capture first.")
            return {"CANCELLED"}
        labels = volume.labels.replace(",", ", ")
        volumes.remove(index)
        self.report({"INFO"}, f"Forgot volume {self.volume_id} ({labels}); the next capture of those cameras "
                              "calibrates again. It stays at Move.")
        return {"FINISHED"}


CLASSES = (MOVEAI_OT_capture_multicam, MOVEAI_OT_forget_volume)
