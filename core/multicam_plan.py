# SPDX-License-Identifier: GPL-3.0-or-later
"""Which selected strips make a multicam capture's cameras, and which volume serves them.

The take's cameras are the selected movie strips (one per camera, the device label is the strip's
name or its Camera field, the active strip first: the reference); the volume is a FINISHED one of
this file for the same cameras, else calibrated from the strips marked as calibration clips, else
from the take's own strips. Every problem is a StripProblem a user can act on; nothing is sent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..lib.strips import StripProblem, video_path
from .multicam_state import is_calibration, strip_label
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


def selected_camera_strips(scene) -> list:
    """The selected movie strips that are cameras of the capture (calibration clips excepted)."""
    return [s for s in _selected_strips(scene) if s.type == "MOVIE" and not is_calibration(s)]


def camera_count_problem(scene) -> str:
    """Why the selection has too few cameras (empty: 2 or more); cheap enough for poll()."""
    selected = _selected_strips(scene)
    movies = selected_camera_strips(scene)
    if len(movies) >= 2:
        return ""
    ignored = [f"{s.name!r} ({s.type.lower()})" for s in selected if s.type != "MOVIE"]
    aside = f" ({', '.join(ignored)} {'is' if len(ignored) == 1 else 'are'} not a camera)" if ignored else ""
    return (f"Multicam needs one movie strip per camera, 2 or more; {len(movies)} "
            f"{'is' if len(movies) == 1 else 'are'} selected{aside}. Select every camera's strip "
            "(calibration clips excepted).")


def plan_capture(scene) -> Plan:
    """Read the selection into a Plan; StripProblem for anything the user must fix first."""
    plan = Plan()
    editor = scene.sequence_editor
    if editor is None:
        raise StripProblem("This scene has no Video Sequencer strips. Add one movie strip per camera "
                           "(Add > Movie), line them up, and select them.")
    problem = camera_count_problem(scene)
    if problem:
        raise StripProblem(problem)
    selected = _selected_strips(scene)
    movies = selected_camera_strips(scene)
    plan.ignored = [f"{s.name!r} ({s.type.lower()})" for s in selected if s.type != "MOVIE"]
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
