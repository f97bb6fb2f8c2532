# SPDX-License-Identifier: GPL-3.0-or-later
"""Drawing pieces shared by the panels and the preferences page: wrapped text, progress, job status."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

from ..core.job_options import FIELDS

CHAR_WIDTH = 7.0  # pixels of an average character of Blender's UI font at scale 1
DEFAULT_WIDTH = 300  # a sidebar's width when there is no region (scripts, tests)


def draw_progress(layout, factor: float, text: str) -> None:
    """A progress bar where this Blender has one (4.0+), else the percentage as text."""
    if hasattr(layout, "progress"):
        layout.progress(factor=factor, type="BAR", text=text)
    else:
        layout.label(text=f"{text} {factor * 100:.0f}%")


def line_length(context) -> int:
    """Characters that fit on one line of the current region."""
    region = getattr(context, "region", None)
    width = getattr(region, "width", 0) or DEFAULT_WIDTH
    scale = getattr(getattr(context.preferences, "system", None), "ui_scale", 1.0) or 1.0
    return max(16, int((width - 40) / (CHAR_WIDTH * scale)))


def draw_wrapped(layout, context, text: str, icon: str = "NONE") -> None:
    """`text` as labels wrapped to the region's width (a label is cut off, never wrapped, by Blender);
    the icon on the first line, the others indented to match."""
    lines = textwrap.wrap(text, line_length(context)) or [""]
    col = layout.column(align=True)
    for index, line in enumerate(lines):
        col.label(text=line, icon=icon if index == 0 else ("BLANK1" if icon != "NONE" else "NONE"))


def draw_job_options(layout, options) -> None:
    """The four job options in one compact block (a MoveJobOptions of the scene or the preferences)."""
    col = layout.column(align=True)
    col.prop(options, "mocap_model")
    row = col.row(align=True)
    for name in FIELDS[1:]:
        row.prop(options, name, toggle=True)


@dataclass(frozen=True)
class Status:
    """What the panel says about a job: a word or two, an icon, and a bar (factor, text) when the
    progress is known."""
    text: str
    icon: str
    bar: tuple[float, str] | None = None


def job_status(record, watching: bool, stopping: bool = False) -> Status:
    """The state of a job as the panel shows it (the job's own state only while it is watched: after a
    stop or a network failure Move's last answer is old news)."""
    stage, state = record.stage, record.job_state
    if watching:
        if stopping:
            return Status("Stopping once Move gives the job's id", "PAUSE")
        if stage == "UPLOADING":
            return Status("Uploading", "EXPORT", (record.progress, f"Uploading {record.progress * 100:.0f}%"))
        if stage in ("NEW", "UPLOADED", "TAKE"):
            return Status("Creating the take…", "TIME")
        if stage == "JOB":
            return Status("Creating the job…", "TIME")
        if stage == "DOWNLOADING":
            return Status("Downloading", "IMPORT", (record.progress, f"Downloading {record.progress * 100:.0f}%"))
        if not record.job_id:
            return Status("Looking for the job at Move…", "VIEWZOOM")
        if state == "NOT_STARTED" or not state:
            return Status("Queued at Move", "TIME")
        if state == "FINISHED":
            return Status("Finished at Move; fetching", "IMPORT")
        return Status("Running at Move", "SORTTIME", (record.percentage / 100, f"{record.percentage}%"))
    if stage == "IMPORTED":
        return Status("Imported", "CHECKMARK")
    if stage == "DOWNLOADED":
        return Status("Downloaded, not imported", "IMPORT")
    if state == "FAILED":
        return Status("Failed at Move", "ERROR")
    if stage == "FAILED":
        return Status("Interrupted" if record.job_id else "Failed", "ERROR")
    if stage == "STOPPED":
        return Status("Stopped watching" if record.job_id or record.job_requested else "Cancelled", "PAUSE")
    if state == "FINISHED":
        return Status("Finished at Move", "CHECKMARK")
    if record.job_id:
        return Status("Not watched", "PAUSE")
    return Status("Not sent", "DOT")
