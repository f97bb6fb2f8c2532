# SPDX-License-Identifier: GPL-3.0-or-later
"""The VSE across Blender versions (5.0 `strips`, 4.2 `sequences`) and the facts of a strip."""
from __future__ import annotations

import bpy

from ..lib.strips import StripFacts, StripProblem, no_strip_message


def top_strips(sequence_editor):
    """The strips collection that `new_movie()` lives on (5.0: strips, 4.2: sequences)."""
    return sequence_editor.strips if hasattr(sequence_editor, "strips") else sequence_editor.sequences


def every_strip(sequence_editor):
    """Every strip, inside meta strips too."""
    if hasattr(sequence_editor, "strips_all"):
        return sequence_editor.strips_all
    return sequence_editor.sequences_all


def find_strip(scene, name: str):
    editor = scene.sequence_editor
    return None if editor is None else every_strip(editor).get(name)


def active_movie_strip(scene):
    """The active strip of the scene; StripProblem when there is none."""
    editor = scene.sequence_editor
    strip = editor.active_strip if editor is not None else None
    if strip is None:
        raise StripProblem(no_strip_message(editor is not None))
    return strip


def strip_facts(strip) -> StripFacts:
    filepath = getattr(strip, "filepath", "") if strip.type == "MOVIE" else ""
    return StripFacts(
        name=strip.name, type=strip.type, filepath=filepath, blend_path=bpy.data.filepath,
        absolute_path=bpy.path.abspath(filepath) if filepath else "",
        fps=float(getattr(strip, "fps", 0.0) or 0.0),
        frame_final_duration=int(strip.frame_final_duration))


def free_channel_above(scene, strip, start: int, end: int) -> int:
    """The lowest channel above `strip` with nothing between frames start and end."""
    busy = {s.channel for s in top_strips(scene.sequence_editor)
            if s.frame_final_start < end and s.frame_final_end > start}
    channel = strip.channel + 1
    while channel in busy:
        channel += 1
    return channel
