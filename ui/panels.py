# SPDX-License-Identifier: GPL-3.0-or-later
"""Sidebar panels ("Move" tab) in the Video Sequencer and the 3D Viewport: strip, Capture, jobs."""

import bpy

from ..core.sessions import is_watched
from ..core.state import BUSY_STAGES
from ..core.strips import strip_facts
from ..lib.strips import StripProblem, video_path
from .drawing import draw_job_options, draw_progress

STATE_ICONS = {"FINISHED": "CHECKMARK", "FAILED": "ERROR", "RUNNING": "SORTTIME", "NOT_STARTED": "TIME"}


def draw_strip(layout, scene) -> None:
    editor = scene.sequence_editor
    strip = editor.active_strip if editor is not None else None
    box = layout.box()
    if strip is None:
        box.label(text="Select a movie strip in the Video Sequencer", icon="INFO")
        return
    box.label(text=strip.name, icon="FILE_MOVIE" if strip.type == "MOVIE" else "SEQUENCE")
    try:
        video_path(strip_facts(strip))
    except StripProblem as exc:
        box.label(text=str(exc).split(". ")[0] + ".", icon="ERROR")
        return
    box.label(text=f"{strip.fps:g} fps, frames {strip.frame_final_start}-{strip.frame_final_end - 1}")


def draw_options(layout, context) -> None:
    state = context.scene.move_ai
    layout.prop(state, "use_custom_options")
    if state.use_custom_options:
        draw_job_options(layout, state.options)


def draw_job(layout, record) -> None:
    box = layout.box()
    watching = is_watched(record.uid)
    state = record.job_state or record.stage
    header = box.row()
    header.label(text=f"{record.strip_name}  ·  {record.options.mocap_model}",
                 icon=STATE_ICONS.get(record.job_state, "FILE_MOVIE"))
    header.label(text=state.replace("_", " ").title())
    if watching or record.stage in BUSY_STAGES:
        if record.stage in ("UPLOADING", "DOWNLOADING"):
            draw_progress(box, record.progress, record.stage.title())
        else:
            draw_progress(box, record.percentage / 100, f"{record.percentage}%")
    if record.job_state == "FAILED" and record.failure_reason:
        box.label(text=record.failure_reason, icon="ERROR")
    elif record.message:
        box.label(text=record.message)
    if record.job_id:
        box.label(text=f"Job {record.job_id}")
    row = box.row(align=True)
    if watching:
        row.operator("moveai.cancel_poll", text="Stop Watching", icon="CANCEL").job = record.uid
    elif record.job_id and record.can_watch:
        row.operator("moveai.poll_job", text="Watch Job", icon="PLAY").job = record.uid
    if record.job_id and record.job_state == "FINISHED":
        row.operator("moveai.import_output", text="Import", icon="IMPORT").job = record.uid
    if record.take_id and not watching:
        row.operator("moveai.rerun_job", text="Re-run", icon="FILE_REFRESH").job = record.uid
    if record.output_path or record.download_dir:
        row.operator("moveai.open_folder", text="", icon="FILE_FOLDER").job = record.uid


class MoveSidebar(bpy.types.Panel):
    """The shared sidebar; each subclass puts it in one editor."""
    bl_region_type = "UI"
    bl_category = "Move"
    bl_label = "Move AI"

    def draw(self, context):
        layout = self.layout
        if layout is None:
            return
        draw_strip(layout, context.scene)
        layout.operator("moveai.capture", icon="ARMATURE_DATA")
        draw_options(layout, context)
        jobs = context.scene.move_ai.jobs
        if jobs:
            layout.label(text="Jobs in this file")
        for record in reversed(list(jobs)):
            draw_job(layout, record)


class MOVEAI_PT_sequencer(MoveSidebar):
    bl_space_type = "SEQUENCE_EDITOR"
    bl_idname = "MOVEAI_PT_sequencer"


class MOVEAI_PT_viewport(MoveSidebar):
    bl_space_type = "VIEW_3D"
    bl_idname = "MOVEAI_PT_viewport"


CLASSES = (MOVEAI_PT_sequencer, MOVEAI_PT_viewport)
