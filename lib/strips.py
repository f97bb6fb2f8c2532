# SPDX-License-Identifier: GPL-3.0-or-later
"""Is this strip something Move can capture? Pure checks on facts read from a VSE strip.

The add-on reads the strip (bpy) into a `StripFacts`; these checks say, in words a user can act on,
why it cannot be sent, or return the video's absolute path.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi")

_KIND_ADVICE = {
    "SOUND": "is a sound strip",
    "IMAGE": "is an image strip",
    "SCENE": "is a scene strip",
    "META": "is a meta strip (open it with Tab and select the movie strip inside)",
    "MOVIECLIP": "is a movie-clip strip; add the video as a Movie strip instead",
    "MASK": "is a mask strip",
    "TEXT": "is a text strip",
    "COLOR": "is a color strip",
    "ADJUSTMENT": "is an adjustment layer",
}


class StripProblem(ValueError):
    """The strip cannot be captured; str() is the message for the user."""


@dataclass(frozen=True)
class StripFacts:
    name: str
    type: str                 # strip.type: MOVIE, SOUND, IMAGE, SCENE, META, ...
    filepath: str = ""        # as stored on the strip, possibly '//relative'
    blend_path: str = ""      # bpy.data.filepath: '' while the file was never saved
    absolute_path: str = ""   # bpy.path.abspath(filepath)
    fps: float = 0.0          # the video's rate (strip.fps)
    frame_final_duration: int = 0


def no_strip_message(has_sequence_editor: bool) -> str:
    if not has_sequence_editor:
        return ("This scene has no Video Sequencer strips. Add your video in the Video Sequencer "
                "(Add > Movie) and select it.")
    return "No active strip. Click the movie strip of your video in the Video Sequencer."


def video_path(facts: StripFacts) -> Path:
    """The absolute path of the strip's video; StripProblem saying why it cannot be sent."""
    label = f"Strip {facts.name!r}"
    if facts.type != "MOVIE":
        advice = _KIND_ADVICE.get(facts.type, f"is a {facts.type.lower()} strip")
        raise StripProblem(f"{label} {advice}. Move needs a movie strip: select the strip of your video.")
    raw = facts.filepath.strip()
    if not raw:
        raise StripProblem(f"{label} has no video file. Set its file in the strip's sidebar (Source).")
    if raw.startswith("//") and not facts.blend_path:
        raise StripProblem(f"{label} uses a path relative to the .blend file ({raw}), but this file "
                           "was never saved. Save the .blend first, or make the path absolute.")
    path = Path(os.path.normpath(facts.absolute_path or raw))
    if not path.is_absolute():
        raise StripProblem(f"{label} has the relative path {raw!r}. Make it absolute "
                           "(File > External Data > Make Paths Absolute).")
    if not path.exists():
        raise StripProblem(f"{label}: the video {str(path)!r} is missing. Find it again with "
                           "File > External Data > Find Missing Files.")
    if not path.is_file():
        raise StripProblem(f"{label}: {str(path)!r} is not a file.")
    if path.stat().st_size == 0:
        raise StripProblem(f"{label}: the video {str(path)!r} is empty (0 bytes).")
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise StripProblem(f"{label}: {path.name!r} is not a video Move accepts; use an .mp4, .mov or "
                           ".avi file.")
    if facts.fps <= 0:
        raise StripProblem(f"{label}: Blender could not read the video's frame rate; it may be damaged.")
    if facts.frame_final_duration <= 0:
        raise StripProblem(f"{label} shows no frames; widen its trim.")
    return path
