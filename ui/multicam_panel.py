# SPDX-License-Identifier: GPL-3.0-or-later
"""The "Multicam" subpanel of the Move sidebar: cameras, calibration, volumes and the sync a job used."""

import bpy

from ..core import multicam, multicam_plan
from ..core.sessions import is_watched
from ..core.settings import SettingsProblem, job_options
from ..lib.strips import StripProblem
from .drawing import draw_progress

VOLUME_ICONS = {"FINISHED": "CHECKMARK", "FAILED": "ERROR", "RUNNING": "SORTTIME", "NOT_STARTED": "TIME"}


def draw_active_strip(layout, scene) -> None:
    editor = scene.sequence_editor
    strip = editor.active_strip if editor is not None else None
    if strip is None or strip.type != "MOVIE" or not hasattr(strip, "move_ai"):
        return
    col = layout.column(align=True)
    col.label(text=f"Active strip {strip.name!r}:")
    col.prop(strip.move_ai, "camera")
    col.prop(strip.move_ai, "lens")
    col.prop(strip.move_ai, "calibration")


def draw_plan(layout, scene) -> None:
    box = layout.box()
    try:
        plan = multicam_plan.plan_capture(scene)
    except StripProblem as exc:
        box.label(text="Cameras: select one movie strip per camera", icon="INFO")
        for line in _wrap(str(exc)):
            box.label(text=line)
        return
    reference = plan.cameras[0].strip.frame_start
    for index, camera in enumerate(plan.cameras):
        offset = reference - camera.strip.frame_start
        note = "reference" if index == 0 else f"{-offset:+g} frames on the timeline"
        box.label(text=f"{camera.label}  ·  {camera.fps:g} fps  ·  {note}", icon="CAMERA_DATA")
    if plan.volume is not None:
        box.label(text=f"Volume {plan.volume.volume_id} ({plan.volume.state.lower() or 'pending'}) is reused",
                  icon="CHECKMARK")
    elif plan.calibration:
        box.label(text=f"Calibrate from {len(plan.calibration)} calibration clips", icon="ORIENTATION_VIEW")
    else:
        box.label(text="Calibrate from these strips (a person walks through)", icon="ORIENTATION_VIEW")
    if plan.ignored:
        box.label(text=f"Not cameras: {', '.join(plan.ignored)}", icon="INFO")


def draw_volumes(layout, scene) -> None:
    volumes = scene.move_ai_multicam.volumes
    if not len(volumes):
        return
    layout.label(text="Volumes in this file")
    for volume in reversed(list(volumes)):
        box = layout.box()
        row = box.row()
        row.label(text=volume.labels.replace(",", ", "), icon=VOLUME_ICONS.get(volume.state, "TIME"))
        row.label(text=(volume.state or "pending").replace("_", " ").title())
        if volume.state in ("NOT_STARTED", "RUNNING"):
            draw_progress(box, volume.percentage / 100, f"Calibrating {volume.percentage}%")
        if volume.state == "FAILED":
            for line in _wrap(volume.failure_reason or "Move gave no reason."):
                box.label(text=line, icon="ERROR")
        row = box.row()
        row.label(text=f"Volume {volume.volume_id}  ·  {volume.human_height:.2f} m  ·  {volume.area_type.title()}")
        row.operator("moveai.forget_volume", text="", icon="X").volume_id = volume.volume_id


def draw_sync(layout, scene) -> None:
    """The sync the latest multicam job used, beside the timeline's."""
    record = next((r for r in reversed(list(scene.move_ai.jobs)) if multicam.is_multicam(r)), None)
    if record is None:
        return
    box = layout.box()
    box.label(text=f"Sync of job {record.job_id or '(not created yet)'}", icon="TIME")
    summary, off = multicam.sync_summary(record)
    if not summary:
        text = "Read from the job once it finishes." if record.job_id and is_watched(record.uid) else \
            "Not reported yet."
        box.label(text=text)
        return
    for line in _wrap(summary):
        box.label(text=line)
    if off:
        for line in _wrap(multicam.disagreement_text(off)):
            box.label(text=line, icon="ERROR")


def _wrap(text: str, width: int = 60) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])


class MulticamPanel(bpy.types.Panel):
    """Multicam: one strip per camera, calibrated from a person walking through."""
    bl_region_type = "UI"
    bl_category = "Move"
    bl_label = "Multicam"
    bl_options = {"DEFAULT_CLOSED"}  # type: ignore[assignment]

    def draw(self, context):
        layout = self.layout
        if layout is None:
            return
        scene = context.scene
        mc = scene.move_ai_multicam
        draw_plan(layout, scene)
        col = layout.column(align=True)
        col.prop(mc, "human_height")
        col.prop(mc, "area_type")
        col.prop(mc, "lens")
        try:
            col.prop(job_options(context), "number_of_actors")  # the scene's, else the preferences' default
        except SettingsProblem:
            pass
        draw_active_strip(layout, scene)
        layout.operator("moveai.capture_multicam", text="Capture Multicam", icon="OUTLINER_OB_CAMERA")
        draw_sync(layout, scene)
        draw_volumes(layout, scene)


class MOVEAI_PT_multicam_sequencer(MulticamPanel):
    bl_space_type = "SEQUENCE_EDITOR"
    bl_parent_id = "MOVEAI_PT_sequencer"
    bl_idname = "MOVEAI_PT_multicam_sequencer"


class MOVEAI_PT_multicam_viewport(MulticamPanel):
    bl_space_type = "VIEW_3D"
    bl_parent_id = "MOVEAI_PT_viewport"
    bl_idname = "MOVEAI_PT_multicam_viewport"


CLASSES = (MOVEAI_PT_multicam_sequencer, MOVEAI_PT_multicam_viewport)
