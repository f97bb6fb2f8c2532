# SPDX-License-Identifier: GPL-3.0-or-later
"""Watch saved jobs again when a .blend is opened: the load handlers, and the steps left for a saved job."""
from __future__ import annotations

import bpy
from bpy.app.handlers import persistent

from ..lib import capture_pipeline, multicam_pipeline
from . import sessions, settings
from .importer import import_after_download
from .job_lookup import find_job_step


def watch_steps(record) -> list:
    """The steps left for a job that exists: watch it and download, or none when it is on disk; a job
    whose id never reached the record is looked for first."""
    if record.job_state == "FINISHED" and record.output_path:
        return []
    find = [] if record.job_id else [("find", find_job_step)]
    if len(record.cameras):  # a multicam job also reads the sync it used
        return find + multicam_pipeline.multicam_steps_from("watch")
    return find + capture_pipeline.steps_from("watch")


def watch_saved_job(context, scene, record) -> sessions.CaptureSession | None:
    """Start watching a saved job again; None (and a message on the record) if it cannot be."""
    existing = sessions.SESSIONS.get(record.uid)
    if existing is not None:
        return existing
    steps = watch_steps(record)
    if not steps:
        return None
    try:
        client = settings.make_client(context)
    except settings.SettingsProblem as exc:
        record.message = f"Cannot watch job {record.job_id or '(being looked for)'}: {exc}"
        return None
    record.stage = "WATCHING"
    session = sessions.CaptureSession(
        scene.name, record.uid, steps, sessions.record_values(context, record, client),
        finish=import_after_download if record.auto_import else None)
    return session.start()


@persistent
def on_load_pre(*_args) -> None:
    sessions.stop_all()


@persistent
def on_load_post(*_args) -> None:
    context = bpy.context
    started = False
    for scene in bpy.data.scenes:
        for record in scene.move_ai.jobs:  # type: ignore[attr-defined]
            # stopped stays stopped: only Watch Job picks such a job up again
            if record.can_watch and record.stage != "STOPPED" and watch_saved_job(context, scene, record):
                started = True
    if started:
        sessions.ensure_background_timer()


def register() -> None:
    bpy.app.handlers.load_pre.append(on_load_pre)
    bpy.app.handlers.load_post.append(on_load_post)


def unregister() -> None:
    for handlers, function in ((bpy.app.handlers.load_pre, on_load_pre),
                               (bpy.app.handlers.load_post, on_load_post)):
        while function in handlers:
            handlers.remove(function)
