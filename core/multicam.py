# SPDX-License-Identifier: GPL-3.0-or-later
"""Multicam captures on the Blender side: which selected strips make the cameras, which volume serves
them, the job record, and a session that stores each camera's upload and the volume as they come.

The take's cameras are the selected movie strips (one per camera, the device label is the strip's
name or its Camera field); the volume is a FINISHED one of this file for the same cameras, else
calibrated from the strips marked as calibration clips, else from the take's own strips.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import bpy

from ..lib import multicam_pipeline, multicam_sync, tasks, timing
from ..lib.strips import StripProblem, video_path
from . import sessions, settings
from .importer import import_after_download
from .multicam_state import is_calibration, strip_label, strip_lens
from .new_records import record_for_rerun
from .state import find_record, new_record
from .strips import every_strip, strip_facts

FPS_TOLERANCE = 0.01
ACTIVE_VOLUME_STATES = ("", "NOT_STARTED", "RUNNING", "FINISHED")


@dataclass
class Camera:
    strip: Any  # a movie strip (bpy)
    label: str
    path: str
    fps: float


@dataclass
class Plan:
    """What one press of Capture Multicam would send; `problem` says why it cannot (nothing sent)."""
    cameras: list[Camera] = field(default_factory=list)  # the reference (active strip) first
    calibration: list[Camera] = field(default_factory=list)  # empty: calibrate from `cameras`
    volume: Any = None  # a MoveVolumeRecord to reuse (FINISHED, or still calibrating)
    ignored: list[str] = field(default_factory=list)  # selected strips that are not cameras
    problem: str = ""


def _camera(strip) -> Camera:
    facts = strip_facts(strip)
    return Camera(strip, strip_label(strip), str(video_path(facts)), facts.fps)


def labels_key(labels) -> str:
    return ",".join(sorted(labels))


def videos_key(cameras: list[Camera]) -> str:
    return "\n".join(sorted(c.path for c in cameras))


def _overlap(cameras: list[Camera]) -> bool:
    start = max(c.strip.frame_final_start for c in cameras)
    end = min(c.strip.frame_final_end for c in cameras)
    return start < end


def find_volume(scene, labels: str, calibration_videos: str = ""):
    """The newest usable volume of this file for these cameras: FINISHED, or still calibrating (a
    press after reopening the file waits for it instead of paying for another). With calibration
    videos given, only a volume made from those very clips."""
    for volume in reversed(list(scene.move_ai_multicam.volumes)):
        if volume.labels != labels or volume.state not in ACTIVE_VOLUME_STATES or not volume.volume_id:
            continue
        if calibration_videos and volume.calibration_videos != calibration_videos:
            continue
        return volume
    return None


def find_volume_by_id(scene, volume_id: str):
    return next((v for v in scene.move_ai_multicam.volumes if v.volume_id == volume_id), None)


def _selected_strips(scene) -> list:
    editor = scene.sequence_editor
    if editor is None:
        return []
    return [s for s in every_strip(editor) if s.select]


def plan_capture(scene) -> Plan:
    """Read the selection into a Plan; StripProblem for anything the user must fix first."""
    plan = Plan()
    editor = scene.sequence_editor
    if editor is None:
        raise StripProblem("This scene has no Video Sequencer strips. Add one movie strip per camera "
                           "(Add > Movie), line them up, and select them.")
    selected = _selected_strips(scene)
    movies = [s for s in selected if s.type == "MOVIE" and not is_calibration(s)]
    plan.ignored = [f"{s.name!r} ({s.type.lower()})" for s in selected if s.type != "MOVIE"]
    if len(movies) < 2:
        ignored = f" ({', '.join(plan.ignored)} {'is' if len(plan.ignored) == 1 else 'are'} not a camera)" \
            if plan.ignored else ""
        raise StripProblem(f"Multicam needs one movie strip per camera, 2 or more; {len(movies)} "
                           f"{'is' if len(movies) == 1 else 'are'} selected{ignored}. Select every "
                           "camera's strip (calibration clips excepted).")
    active = editor.active_strip.name if editor.active_strip is not None else ""
    movies.sort(key=lambda s: (s.name != active, s.channel, s.name))  # the active strip is the reference
    cameras = [_camera(s) for s in movies]
    labels = [c.label for c in cameras]
    twice = sorted({label for label in labels if labels.count(label) > 1})
    if twice:
        raise StripProblem(f"Two selected strips are camera {twice[0]!r}. Each camera needs its own strip: "
                           "set a different Camera name on one of them (strip sidebar, Move AI).")
    rates = {round(c.fps, 3) for c in cameras}
    if max(c.fps for c in cameras) - min(c.fps for c in cameras) > FPS_TOLERANCE:
        listed = ", ".join(f"{r:g}" for r in sorted(rates))
        raise StripProblem(f"The cameras' videos have different frame rates ({listed} "
                           "fps). Move syncs frames across cameras: record every camera at the same rate.")
    if not _overlap(cameras):
        raise StripProblem("The selected strips do not overlap on the timeline, so no frame shows the same "
                           "moment in every camera. Line them up (the same moment on the same frame): the "
                           "timeline is the sync Move is told.")
    plan.cameras = cameras
    key = labels_key(labels)

    marked = [s for s in every_strip(editor) if s.type == "MOVIE" and is_calibration(s)]
    if marked:
        calibration = [_camera(s) for s in marked]
        by_label: dict[str, Camera] = {}
        for clip in calibration:
            if clip.label in by_label:
                raise StripProblem(f"Two calibration strips are camera {clip.label!r}: unmark one, or set "
                                   "their Camera names (strip sidebar, Move AI).")
            by_label[clip.label] = clip
        missing = [label for label in by_label if label not in labels]
        if missing:
            raise StripProblem(f"Camera {', '.join(map(repr, sorted(missing)))} has a calibration clip but no "
                               "strip is selected for it. Select one strip per calibrated camera.")
        uncalibrated = [label for label in labels if label not in by_label]
        if uncalibrated:
            raise StripProblem(f"Camera {', '.join(map(repr, uncalibrated))} has no calibration clip. Mark one "
                               "strip of that camera as Calibration Clip, or unmark them all to calibrate "
                               "from the selected strips.")
        plan.calibration = [by_label[label] for label in labels]
        plan.volume = find_volume(scene, key, videos_key(plan.calibration))
        return plan

    plan.volume = find_volume(scene, key)
    if plan.volume is None:
        wider = next((v for v in reversed(list(scene.move_ai_multicam.volumes))
                      if v.state == "FINISHED" and set(labels) < set(v.labels.split(","))), None)
        if wider is not None:
            missing = sorted(set(wider.labels.split(",")) - set(labels))
            raise StripProblem(f"This file's cameras are calibrated as {wider.labels.replace(',', ', ')}; no "
                               f"strip is selected for camera {', '.join(map(repr, missing))}. Select one strip "
                               "per camera.")
    return plan


def running_capture_of(scene, strip_names: set[str]):
    """The record of a multicam capture running now on these very strips, if any."""
    for uid, session in sessions.SESSIONS.items():
        record = find_record(scene, uid)
        if record is not None and record.cameras and session.status == sessions.RUNNING:
            if {c.strip_name for c in record.cameras if not c.calibration} == strip_names:
                return record
    return None


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


def unfinished_capture_of(scene, plan: Plan):
    """The newest earlier capture of these strips and videos that made no live job (stopped, closed
    or failed before or at its job): what it already has on Move is used again, not paid twice."""
    wanted = {(c.strip.name, c.path) for c in plan.cameras}
    for record in reversed(list(scene.move_ai.jobs)):
        if not record.cameras or sessions.is_watched(record.uid):
            continue
        have = {(c.strip_name, bpy.path.abspath(c.video_path)) for c in record.cameras if not c.calibration}
        if have == wanted and (not record.job_id or record.job_state == "FAILED"):
            return record
    return None


def _reuse(scene, record, earlier) -> None:
    """Copy the uploads, and the take on a volume that is still good, of an unfinished capture."""
    files = {(c.label, c.calibration, c.video_path): c.file_id for c in earlier.cameras if c.file_id}
    for item in record.cameras:
        item.file_id = files.get((item.label, item.calibration, item.video_path), "")
    volume = find_volume_by_id(scene, earlier.volume_id) if earlier.volume_id else None
    if earlier.take_id and volume is not None and volume.state == "FINISHED":
        record.take_id, record.volume_id = earlier.take_id, earlier.volume_id


def record_from_selection(context):
    """Check the selection and settings, then add the multicam job record (nothing added on a problem)."""
    scene = context.scene
    plan = plan_capture(scene)
    reference = plan.cameras[0]
    strip = reference.strip
    window = timing.clip_window(strip.frame_offset_start, strip.frame_final_duration, reference.fps)
    clip = (window.start, window.end)
    running = running_capture_of(scene, {c.strip.name for c in plan.cameras})
    if running is not None:
        raise StripProblem(f"A multicam capture of these strips is already running (stage "
                           f"{running.stage.lower()}); it is not started twice.")
    earlier = earlier_job_of(scene, plan, clip)
    if earlier is not None:
        raise StripProblem(f"These strips already have multicam job {earlier.job_id} "
                           f"({(earlier.job_state or earlier.stage).lower()}); a second press does not pay "
                           "for another. Use Re-run on that job for a new one with other options.")
    settings.make_client(context)  # key, endpoint and online access, before anything is added
    folder = settings.download_dir(context)

    unfinished = unfinished_capture_of(scene, plan)
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
    if unfinished is not None:
        _reuse(scene, record, unfinished)
        record.file_id = record.cameras[0].file_id
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
