# SPDX-License-Identifier: GPL-3.0-or-later
"""New job records, filled from the active strip or from an earlier job, with the current settings."""
from __future__ import annotations

from ..lib import timing
from ..lib.strips import video_path
from . import settings
from .state import new_record
from .strips import active_movie_strip, strip_facts

# what a re-run carries over from the job it repeats (the same video, take and clip window)
RERUN_FIELDS = ("strip_name", "video_path", "file_id", "take_id", "clip_start", "clip_end",
                "strip_start", "video_fps", "download_dir")


def _apply_settings(context, record) -> None:
    """The import choices and job options in force now (scene's or preferences')."""
    prefs = settings.preferences(context)
    record.import_format = prefs.import_format
    record.want_overlay = prefs.add_overlay
    record.options.copy_from(settings.job_options(context))


def _make_active(context) -> None:
    context.scene.move_ai.active_job_index = len(context.scene.move_ai.jobs) - 1


def record_from_active_strip(context):
    """Check the active strip and settings, then add a record for it (nothing is added on a problem)."""
    strip = active_movie_strip(context.scene)
    facts = strip_facts(strip)
    path = video_path(facts)
    window = timing.clip_window(strip.frame_offset_start, strip.frame_final_duration, facts.fps)
    settings.make_client(context)  # key, endpoint and online access, before anything is added
    folder = settings.download_dir(context)

    record = new_record(context.scene)
    record.strip_name = strip.name
    record.video_path = str(path)
    record.clip_start, record.clip_end = window.start, window.end
    record.strip_start = int(strip.frame_final_start)
    record.video_fps = facts.fps
    record.download_dir = str(folder)
    _apply_settings(context, record)
    _make_active(context)
    return record


def record_for_rerun(context, source):
    """A new record for another job on `source`'s take, with the options in force now."""
    settings.make_client(context)  # before anything is added
    record = new_record(context.scene)
    for name in RERUN_FIELDS:
        setattr(record, name, getattr(source, name))
    _apply_settings(context, record)
    record.auto_import = True
    _make_active(context)
    return record
