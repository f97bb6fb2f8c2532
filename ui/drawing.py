# SPDX-License-Identifier: GPL-3.0-or-later
"""Drawing pieces shared by the panels and the preferences page."""

from ..core.job_options import FIELDS


def draw_progress(layout, factor: float, text: str) -> None:
    """A progress bar where this Blender has one (4.0+), else the percentage as text."""
    if hasattr(layout, "progress"):
        layout.progress(factor=factor, type="BAR", text=text)
    else:
        layout.label(text=f"{text} {factor * 100:.0f}%")


def draw_job_options(layout, options) -> None:
    """The four job options in one compact block (a MoveJobOptions of the scene or the preferences)."""
    col = layout.column(align=True)
    col.prop(options, "mocap_model")
    row = col.row(align=True)
    for name in FIELDS[1:]:
        row.prop(options, name, toggle=True)
