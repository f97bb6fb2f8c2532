# SPDX-License-Identifier: GPL-3.0-or-later
"""Multicam captures on the Blender side: the job record made from a plan (multicam_plan.py), the
session that stores each camera's upload and the volume as they come, and what the sync was."""
from __future__ import annotations

import bpy

from ..lib import multicam_pipeline, multicam_sync, tasks, timing
from ..lib.strips import StripProblem
from . import sessions, settings
from .importer import import_after_download
from .multicam_plan import Camera, Plan, find_volume_by_id, labels_key, plan_capture
from .multicam_state import strip_lens
from .new_records import record_for_rerun
from .state import find_record, new_record


def running_capture_of(scene, strip_names: set[str]):
    """The record of a multicam capture running now on these very strips, if any."""
    for uid, session in sessions.SESSIONS.items():
        record = find_record(scene, uid)
        if record is not None and record.cameras and session.status == sessions.RUNNING:
            if {c.strip_name for c in record.cameras if not c.calibration} == strip_names:
                return record
    return None


def capture_running_text(scene, strip_names: set[str]) -> str:
    """Why a capture of these strips is refused while one runs (empty: none runs)."""
    running = running_capture_of(scene, strip_names)
    if running is None:
        return ""
    return (f"A multicam capture of these strips is already running (stage {running.stage.lower()}); "
            "it is not started twice.")


def earlier_job_of(scene, plan: Plan, clip: tuple[float, float]):
    """A job this file already made from these strips, same videos and clip window, not failed."""
    wanted = {(c.strip.name, c.path) for c in plan.cameras}
    for record in reversed(list(scene.move_ai.jobs)):
        if not record.cameras or not record.job_id or record.job_state == "FAILED":
            continue
        have = {(c.strip_name, bpy.path.abspath(c.video_path)) for c in record.cameras if not c.calibration}
        if have == wanted and abs(record.clip_start - clip[0]) < 1e-6 and abs(record.clip_end - clip[1]) < 1e-6:
            return record
    return None


def _clip(camera: Camera) -> tuple[float, float]:
    window = timing.clip_window(camera.strip.frame_offset_start, camera.strip.frame_final_duration, camera.fps)
    return window.start, window.end


def _add_camera(record, camera: Camera, reference_start: float, calibration: bool = False) -> None:
    item = record.cameras.add()
    item.label, item.strip_name, item.video_path = camera.label, camera.strip.name, camera.path
    item.fps, item.calibration = camera.fps, calibration
    item.lens = strip_lens(camera.strip)
    item.clip_start, item.clip_end = _clip(camera)
    item.timeline_offset = multicam_sync.timeline_offset(reference_start, camera.strip.frame_start)


def earlier_capture_of(scene, plan: Plan):
    """The newest earlier capture of these strips and videos (stopped, closed, failed, or another clip
    window of them): what it already has on Move is used again, not paid twice."""
    wanted = {(c.strip.name, c.path) for c in plan.cameras}
    for record in reversed(list(scene.move_ai.jobs)):
        if not record.cameras or sessions.is_watched(record.uid):
            continue
        have = {(c.strip_name, bpy.path.abspath(c.video_path)) for c in record.cameras if not c.calibration}
        if have == wanted:
            return record
    return None


def _reuse(scene, record, earlier) -> None:
    """Copy an earlier capture's uploads, and its take when it stands on the volume this one uses (a
    take on a forgotten or recalibrated volume is not reused: the cameras are calibrated anew)."""
    files = {(c.label, c.calibration, c.video_path): c.file_id for c in earlier.cameras if c.file_id}
    for item in record.cameras:
        item.file_id = files.get((item.label, item.calibration, item.video_path), "")
    volume = find_volume_by_id(scene, record.volume_id) if record.volume_id else None
    if earlier.take_id and volume is not None and volume.state == "FINISHED" \
            and earlier.volume_id == record.volume_id:
        record.take_id = earlier.take_id


def record_from_selection(context):
    """Check the selection and settings, then add the multicam job record (nothing added on a problem)."""
    scene = context.scene
    plan = plan_capture(scene)
    reference = plan.cameras[0]
    strip = reference.strip
    window = timing.clip_window(strip.frame_offset_start, strip.frame_final_duration, reference.fps)
    clip = (window.start, window.end)
    busy = capture_running_text(scene, {c.strip.name for c in plan.cameras})
    if busy:
        raise StripProblem(busy)
    earlier = earlier_job_of(scene, plan, clip)
    if earlier is not None:
        raise StripProblem(f"These strips already have multicam job {earlier.job_id} "
                           f"({(earlier.job_state or earlier.stage).lower()}); a second press does not pay "
                           "for another. Use Re-run on that job for a new one with other options.")
    settings.make_client(context)  # key, endpoint and online access, before anything is added
    folder = settings.download_dir(context)

    earlier_capture = earlier_capture_of(scene, plan)
    record = new_record(scene)
    record.strip_name, record.video_path = strip.name, reference.path
    record.clip_start, record.clip_end = clip
    record.strip_start = int(strip.frame_final_start)
    record.video_fps = reference.fps
    record.download_dir = str(folder)
    prefs = settings.preferences(context)
    record.import_format, record.want_overlay = prefs.import_format, prefs.add_overlay
    record.options.copy_from(settings.job_options(context))
    record.auto_import = True
    for camera in plan.cameras:
        _add_camera(record, camera, strip.frame_start)
    for camera in plan.calibration:
        _add_camera(record, camera, plan.calibration[0].strip.frame_start, calibration=True)
    if plan.volume is not None:
        record.volume_id = plan.volume.volume_id
    if earlier_capture is not None:
        _reuse(scene, record, earlier_capture)
        record.file_id = record.cameras[0].file_id
    if plan.ignored:
        record.message = f"Not cameras, left out: {', '.join(plan.ignored)}."
    scene.move_ai.active_job_index = len(scene.move_ai.jobs) - 1
    return record


def multicam_values(context, record, client) -> dict:
    """What the multicam steps need beyond a single-camera job's values (copied off the record)."""
    scene = context.scene
    mc = scene.move_ai_multicam
    values = sessions.record_values(context, record, client)
    cams = [c for c in record.cameras if not c.calibration]
    calibration = [c for c in record.cameras if c.calibration]

    def item(c) -> dict:
        return {"label": c.label, "video_path": bpy.path.abspath(c.video_path), "file_id": c.file_id,
                "lens": c.lens}

    options = dict(values["options"])
    options.pop("mocapModel", None)  # the S1/S2 models are single-camera ones; Move picks its multicam model
    volume = find_volume_by_id(scene, record.volume_id) if record.volume_id else None
    values.update({
        "cameras": [item(c) for c in cams], "calibration": [item(c) for c in calibration],
        "volume_id": record.volume_id if volume is None or volume.state != "FAILED" else "",
        "human_height": mc.human_height, "area_type": mc.area_type, "default_lens": mc.lens.strip(),
        "volume_clip_window": _volume_clip(calibration or cams),
        "volume_name": f"{scene.name}: {', '.join(c.label for c in cams)}",
        "number_of_actors": record.options.number_of_actors, "options": options,
        "take_metadata": {"timelineOffsets": {c.label: round(c.timeline_offset / c.fps, 4) if c.fps else 0.0
                                              for c in cams}},
    })
    return values


def _volume_clip(clips) -> tuple[float, float] | None:
    """The calibration's clip window: the visible part of the first clip (the reference camera's)."""
    first = clips[0] if clips else None
    return (first.clip_start, first.clip_end) if first is not None and first.clip_end > first.clip_start else None


class MulticamSession(sessions.CaptureSession):
    """A CaptureSession that also stores each camera's file id and the volume as they arrive."""

    def _apply(self, context, message) -> None:
        record = self.record()
        if record is not None and isinstance(message, tasks.StepDone):
            self._store_multicam(context, record, message.values)
        super()._apply(context, message)

    def _all_done(self, context, record) -> None:
        super()._all_done(context, record)
        _, off = sync_summary(record)
        if self.status == sessions.FINISHED and off:  # its own warning, not a clause of the import's text
            self.reports.append(("WARNING", disagreement_text(off)))

    def _store_multicam(self, context, record, values: dict) -> None:
        for group, files in (values.get("uploaded") or {}).items():
            for item in record.cameras:
                if item.calibration == (group == "calibration") and item.label in files:
                    item.file_id = files[item.label]
        if values.get("volume_id"):
            record.volume_id = values["volume_id"]
        if not record.volume_id or not any(k.startswith("volume_") for k in values):
            return
        scene = bpy.data.scenes.get(self.scene_name)
        if scene is None:
            return
        volume = find_volume_by_id(scene, record.volume_id)
        if volume is None:
            volume = scene.move_ai_multicam.volumes.add()
            volume.volume_id = record.volume_id
            cams = [c for c in record.cameras if not c.calibration]
            calibration = [c for c in record.cameras if c.calibration]
            volume.labels = labels_key(c.label for c in cams)
            volume.calibration_videos = "\n".join(sorted(bpy.path.abspath(c.video_path) for c in calibration))
            volume.human_height = scene.move_ai_multicam.human_height
            volume.area_type = scene.move_ai_multicam.area_type
        if values.get("volume_state"):
            volume.state = values["volume_state"]
        if values.get("volume_percentage") is not None:
            volume.percentage = int(values["volume_percentage"])
        if values.get("volume_failure"):
            volume.failure_reason = values["volume_failure"]
        self._changed = True


def sync_summary(record) -> tuple[str, list[multicam_sync.Disagreement]]:
    """What the panel and the report say about the sync the job used, and where it disagrees with
    the timeline by more than a frame."""
    cams = [c for c in record.cameras if not c.calibration]
    if not record.sync_offsets:
        return "", []
    fps = {c.label: c.fps for c in cams}
    reported = multicam_sync.reported_offsets(record.sync_offsets, fps)
    if not reported:
        return "Move did not report the offsets it used; the timeline's offsets were sent with the take.", []
    timeline = {c.label: c.timeline_offset for c in cams}
    off = multicam_sync.disagreements(timeline, reported)
    used = ", ".join(f"{label} {reported[label]:+g}" for label in timeline if label in reported)
    return f"Offsets the job used (frames): {used}.", off


def disagreement_text(off: list[multicam_sync.Disagreement]) -> str:
    return ("The job's sync disagrees with the timeline: " + "; ".join(
        f"{d.label} {d.reported:+g} frames, timeline {d.timeline:+g}" for d in off)
        + ". Check the strips' positions (or the motion may be out of step).")


def finish_multicam(context, record) -> str:
    """Import the output in step with the reference strip, and say what sync the job used."""
    text = import_after_download(context, record)
    summary, off = sync_summary(record)
    if summary:
        text += " " + summary
    if off:
        text += " Warning: " + disagreement_text(off)
    return text


def start_multicam(context, record, steps) -> MulticamSession:
    """A running MulticamSession; it imports at the end when its steps download the output."""
    client = settings.make_client(context)
    whole = steps[-1][0] == "download"
    session = MulticamSession(context.scene.name, record.uid, steps, multicam_values(context, record, client),
                              finish=finish_multicam if whole else None,
                              forget_if_failed_early=steps[0][0] == "upload")
    session.start()
    return session


def steps(first: str, last: str = "download") -> list:
    """The multicam steps from `first` to `last`, for the step operators on a multicam record."""
    return multicam_pipeline.multicam_steps_from(first, last)


def rerun_session(context, source) -> MulticamSession:
    """Another multicam job on `source`'s take, with the options in force now."""
    record = record_for_rerun(context, source)
    for camera in source.cameras:
        item = record.cameras.add()
        for name in ("label", "strip_name", "video_path", "file_id", "fps", "timeline_offset", "calibration",
                     "lens", "clip_start", "clip_end"):
            setattr(item, name, getattr(camera, name))
    record.volume_id = source.volume_id
    return start_multicam(context, record, steps("job"))


def is_multicam(record) -> bool:
    return len(record.cameras) > 0
