# SPDX-License-Identifier: GPL-3.0-or-later
"""Sidebar panels ("Move" tab) in the Video Sequencer and the 3D Viewport: strip, Capture, the
scene's jobs as a list, and the selected job in detail."""

import bpy

from ..core import sessions
from ..core.multicam import is_multicam
from ..core.strips import strip_facts
from ..lib.strips import StripProblem, video_path
from .drawing import draw_job_options, draw_progress, draw_wrapped, job_status


def draw_strip(layout, context) -> None:
    editor = context.scene.sequence_editor
    strip = editor.active_strip if editor is not None else None
    box = layout.box()
    if strip is None:
        draw_wrapped(box, context, "Select a movie strip in the Video Sequencer.", icon="INFO")
        return
    box.label(text=strip.name, icon="FILE_MOVIE" if strip.type == "MOVIE" else "SEQUENCE")
    try:
        video_path(strip_facts(strip))
    except StripProblem as exc:
        draw_wrapped(box, context, str(exc), icon="ERROR")  # whole: the advice is the useful part
        return
    box.label(text=f"{strip.fps:g} fps, frames {strip.frame_final_start}-{strip.frame_final_end - 1}")


def draw_options(layout, context) -> None:
    state = context.scene.move_ai
    layout.prop(state, "use_custom_options")
    if state.use_custom_options:
        draw_job_options(layout, state.options)


def record_status(record):
    session = sessions.SESSIONS.get(record.uid)
    watching = session is not None and session.status == sessions.RUNNING
    stopping = session is not None and watching and session.stop_after_job
    return job_status(record, watching, stopping=stopping), watching


def record_title(record) -> str:
    """What a job is at a glance: its strip, and for multicam how many cameras; then the model."""
    parts = [record.strip_name]
    if is_multicam(record):
        parts.append(f"{len(record.cameras)} cameras")
    parts.append(record.options.mocap_model)
    return "  ·  ".join(parts)


def draw_job(layout, record, context=None) -> None:
    """The selected job: status, progress, its message or failure, id (copyable) and actions."""
    context = context or bpy.context
    box = layout.box()
    status, watching = record_status(record)
    header = box.row()
    header.label(text=record_title(record), icon=status.icon)
    header.label(text=status.text)
    if status.bar is not None:
        draw_progress(box, *status.bar)
    if record.job_state == "FAILED" and record.failure_reason:
        draw_wrapped(box, context, record.failure_reason, icon="ERROR")
    elif record.message:
        draw_wrapped(box, context, record.message)
    if record.job_id:
        row = box.row(align=True)
        row.label(text=f"Job {record.job_id}")
        row.operator("moveai.copy_job_id", text="", icon="COPYDOWN").job_id = record.job_id
    row = box.row(align=True)
    if watching:
        row.operator("moveai.cancel_poll", text="Stop Watching", icon="CANCEL").job = record.uid
    elif record.can_watch:
        row.operator("moveai.poll_job", text="Watch Job", icon="PLAY").job = record.uid
    if record.job_id and record.job_state == "FINISHED" and not watching:
        text = "Import Again" if record.stage == "IMPORTED" else "Import"
        row.operator("moveai.import_output", text=text, icon="IMPORT").job = record.uid
    if record.take_id and not watching:
        row.operator("moveai.rerun_job", text="Re-run", icon="FILE_REFRESH").job = record.uid
    if record.output_path or record.download_dir:
        row.operator("moveai.open_folder", text="", icon="FILE_FOLDER").job = record.uid


class MOVEAI_UL_jobs(bpy.types.UIList):
    """The scene's Move jobs, newest first: strip, model and state."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0, flt_flag=0):
        status, _ = record_status(item)
        row = layout.row(align=True)
        row.label(text=record_title(item), icon=status.icon)
        row.label(text=status.bar[1] if status.bar else status.text)

    def filter_items(self, context, data, propname):
        jobs = getattr(data, propname)
        count = len(jobs)
        flags = [self.bitflag_filter_item] * count
        if self.filter_name:
            needle = self.filter_name.lower()
            flags = [self.bitflag_filter_item if needle in f"{r.strip_name} {r.job_id}".lower() else 0
                     for r in jobs]
        return flags, [count - 1 - i for i in range(count)]  # newest first


class MoveSidebar(bpy.types.Panel):
    """The shared sidebar; each subclass puts it in one editor."""
    bl_region_type = "UI"
    bl_category = "Move"
    bl_label = "Move AI"

    def draw(self, context):
        layout = self.layout
        if layout is None:
            return
        draw_strip(layout, context)
        layout.operator("moveai.capture", icon="ARMATURE_DATA")
        draw_options(layout, context)
        state = context.scene.move_ai
        if not state.jobs:
            return
        layout.label(text=f"Jobs in scene {context.scene.name!r}")
        row = layout.row()
        row.template_list("MOVEAI_UL_jobs", "", state, "jobs", state, "active_job_index", rows=3)
        side = row.column(align=True)
        side.operator("moveai.remove_job", text="", icon="REMOVE")
        side.operator("moveai.clear_finished", text="", icon="TRASH")
        if 0 <= state.active_job_index < len(state.jobs):
            draw_job(layout, state.jobs[state.active_job_index], context)


class MOVEAI_PT_sequencer(MoveSidebar):
    bl_space_type = "SEQUENCE_EDITOR"
    bl_idname = "MOVEAI_PT_sequencer"


class MOVEAI_PT_viewport(MoveSidebar):
    bl_space_type = "VIEW_3D"
    bl_idname = "MOVEAI_PT_viewport"


CLASSES = (MOVEAI_UL_jobs, MOVEAI_PT_sequencer, MOVEAI_PT_viewport)
