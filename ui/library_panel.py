# SPDX-License-Identifier: GPL-3.0-or-later
"""The "Library" subpanel of the Move sidebar: the account's takes and jobs, newest first, a page at
a time; Import for a finished job, Re-run for a take, Import Job by ID for any job."""

import bpy

from ..core.library import LIBRARY
from ..core.preferences import SettingsProblem, preferences

STATE_ICONS = {"FINISHED": "CHECKMARK", "FAILED": "ERROR", "RUNNING": "SORTTIME", "NOT_STARTED": "TIME"}


def draw_job_row(layout, item) -> None:
    row = layout.row(align=True)
    row.label(text=item.title, icon=STATE_ICONS.get(item.state, "FILE_MOVIE"))
    row.label(text=" · ".join(p for p in (item.date, item.state.replace("_", " ").title(), item.model) if p))
    if item.state == "FINISHED":
        row.operator("moveai.import_job", text="", icon="IMPORT").job_id = item.id


def draw_take_row(layout, item) -> None:
    row = layout.row(align=True)
    row.label(text=item.title, icon="FILE_MOVIE")
    row.label(text=" · ".join(p for p in (item.date, item.state) if p))
    row.operator("moveai.rerun_take", text="", icon="FILE_REFRESH").take_id = item.id


def draw_library(layout, context) -> None:
    try:
        endpoint = preferences(context).endpoint
    except SettingsProblem as exc:
        layout.label(text=str(exc), icon="ERROR")
        return
    row = layout.row(align=True)
    row.operator("moveai.library_refresh", text="Refresh", icon="FILE_REFRESH")
    row.operator("moveai.import_job", text="Import Job by ID", icon="IMPORT")
    if LIBRARY.busy or LIBRARY.message:
        layout.label(text=LIBRARY.message or "Fetching…", icon="SORTTIME" if LIBRARY.busy else "INFO")
    if not LIBRARY.shows(endpoint):
        if not LIBRARY.busy:
            layout.label(text="Refresh to list your takes and jobs at Move.")
        return
    box = layout.box()
    box.label(text=f"Jobs ({len(LIBRARY.jobs)})")
    for item in LIBRARY.jobs:
        draw_job_row(box, item)
    box = layout.box()
    box.label(text=f"Takes ({len(LIBRARY.takes)})")
    for item in LIBRARY.takes:
        draw_take_row(box, item)
    if LIBRARY.has_more:
        layout.operator("moveai.library_refresh", text="More", icon="TRIA_DOWN").more = True


class MoveLibraryPanel(bpy.types.Panel):
    """The Library subpanel; each subclass puts it under one editor's Move panel."""
    bl_region_type = "UI"
    bl_category = "Move"
    bl_label = "Library"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        if self.layout is not None:
            draw_library(self.layout, context)


class MOVEAI_PT_library_sequencer(MoveLibraryPanel):
    bl_space_type = "SEQUENCE_EDITOR"
    bl_idname = "MOVEAI_PT_library_sequencer"
    bl_parent_id = "MOVEAI_PT_sequencer"


class MOVEAI_PT_library_viewport(MoveLibraryPanel):
    bl_space_type = "VIEW_3D"
    bl_idname = "MOVEAI_PT_library_viewport"
    bl_parent_id = "MOVEAI_PT_viewport"


CLASSES = (MOVEAI_PT_library_sequencer, MOVEAI_PT_library_viewport)
