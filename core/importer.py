# SPDX-License-Identifier: GPL-3.0-or-later
"""Bring a downloaded Move result into the scene, in step with its strip.

FBX goes through Blender's FBX importer, which sets the scene to the file's frame rate and lays keys
at that rate from its `anim_offset`; a .blend output is appended (objects and their actions, not a
whole-file open). Sample i must sit on scene frame `strip.frame_final_start + i`: one scene frame per
video frame, as the VSE plays the strip. An FBX at a whole-number rate lands there directly (the
importer is given the strip's first frame as its offset), a .blend is shifted, and only a fractional
rate (29.97) needs its keys rescaled; both are numpy passes over each F-curve, never per key in Python.
"""
from __future__ import annotations

import os
import re

import bpy
import numpy as np

from .blend_safety import OutputProblem, append_capture
from ..lib.timing import SNAP, Retime, fps_parts, retime_for_import, same_rate
from .preferences import preferences
from .strips import find_strip, free_channel_above, top_strips


JOB_TAG = "move_ai_job"  # custom property on what an import made: the job it came from


class ImportProblem(Exception):
    """The output could not be imported; str() is for the user."""


def short_job(job_id: str) -> str:
    """`job-1a2b` of `job-1a2b3c...`: enough of a job id to tell a strip's imports apart."""
    return job_id[:8]


def action_fcurves(action, slot=None) -> list:
    """F-curves of an action: 4.4+ layered actions keep them in channelbags, 4.2 on the action."""
    if getattr(action, "is_action_layered", False) or not hasattr(action, "fcurves"):
        curves = []
        for layer in action.layers:
            for strip in layer.strips:
                for bag in strip.channelbags:
                    if slot is None or bag.slot == slot:
                        curves.extend(bag.fcurves)
        return curves
    return list(action.fcurves)


def _armature_curves(obj) -> list:
    anim = obj.animation_data
    return action_fcurves(anim.action, getattr(anim, "action_slot", None))


def _key_span(curves) -> tuple[int, float, float]:
    """(key count of the busiest curve, first key, last key) over the curves."""
    keyed = [c.keyframe_points for c in curves if len(c.keyframe_points)]
    if not keyed:
        raise ImportProblem("The armature in the output has no keyframes; nothing to place on the timeline.")
    return (max(len(k) for k in keyed), min(k[0].co.x for k in keyed), max(k[-1].co.x for k in keyed))


def _snap(frames):
    """Whole frames stay whole after float arithmetic (as Retime.frame does for one key)."""
    nearest = np.round(frames)
    return np.where(np.abs(frames - nearest) < SNAP, nearest, frames)


def _place_keys(curves, retime: Retime) -> None:
    """Apply the retime to every key: nothing when the importer already placed them, else one
    foreach_get of the keys and one foreach_set through `co_ui`, which moves each key's handles with
    it, per curve (the RNA access is the cost, ~0.1 us per key). A rescale (29.97 fps keyed at 30)
    comes only from the FBX importer, whose handles are automatic: update() fits them to the new
    spacing (its keys are linear anyway)."""
    if retime.is_identity:
        return
    longest = max(len(c.keyframe_points) for c in curves)
    buf = np.empty(2 * longest, dtype=np.float32)  # Blender's own type: a third faster than float64
    for curve in curves:
        points = curve.keyframe_points
        pairs = buf[:2 * len(points)]
        if not len(pairs):
            continue
        points.foreach_get("co", pairs)
        frames = retime.strip_start + (pairs[0::2].astype(np.float64) - retime.origin) * retime.scale
        pairs[0::2] = _snap(frames)
        points.foreach_set("co_ui", pairs)
        if not retime.shift_only:
            curve.update()


def _import_fbx(context, scene, path: str, strip_start: float) -> tuple[list, float]:
    """New objects, and the rate the importer laid keys at (it sets the scene's fps from the file).
    Its `anim_offset` puts time 0 on the strip's first frame: at a whole-number rate that is one key
    per frame from there, so no pass over the keys is left to do."""
    before = set(bpy.data.objects)
    # Into the strip's scene, whichever scene the window shows: the importer works in the window's
    # scene and view layer (its mode_set needs their active object), so the window shows the strip's
    # scene for the import's duration. The importer sets that scene's fps, which the caller restores.
    window = context.window or next(iter(context.window_manager.windows), None)
    shown = window.scene if window is not None else None
    try:
        if window is not None and shown != scene:
            window.scene = scene
        with context.temp_override(window=window, scene=scene):
            result = bpy.ops.import_scene.fbx(filepath=path, anim_offset=float(strip_start))
    finally:
        if window is not None and shown is not None and window.scene != shown:
            window.scene = shown
    if "FINISHED" not in (result or ()):
        raise ImportProblem(f"Blender's FBX importer could not read {os.path.basename(path)!r}.")
    keyed_fps = float(scene.render.fps)  # the importer converts FBX time with this integer rate
    return [o for o in bpy.data.objects if o not in before], keyed_fps


def _append_blend(scene, path: str, video_fps: float, notes: list[str]) -> tuple[list, float]:
    """Append the output's capture (blend_safety: what an output may contain), linked into the scene."""
    try:
        objects, dropped = append_capture(path)
    except OutputProblem as exc:
        raise ImportProblem(str(exc)) from None
    notes.extend(dropped)
    for obj in objects:
        scene.collection.objects.link(obj)
    return objects, video_fps  # keys are in the file's frames, one per video frame


def _pick_armature(objects):
    armatures = [o for o in objects if o.type == "ARMATURE"]
    animated = [o for o in armatures if o.animation_data and o.animation_data.action]
    return (animated or armatures or [None])[0]


def _remove(objects) -> None:
    for obj in objects:
        bpy.data.objects.remove(obj, do_unlink=True)


def remove_earlier_import(scene, record) -> bool:
    """Remove what an earlier import of the record's job made (objects, their action and data, the
    overlay strip), so that importing again replaces it; True when there was one."""
    job_id = record.job_id
    objects = [o for o in bpy.data.objects if o.get(JOB_TAG) == job_id]
    actions = [a for a in bpy.data.actions if a.get(JOB_TAG) == job_id]
    datas = [o.data for o in objects if o.data is not None]
    _remove(objects)
    for action in actions:  # this job's earlier import only: gone with it, whatever still uses it
        bpy.data.actions.remove(action)
    for data in datas:
        if data.users:
            continue
        if isinstance(data, bpy.types.Mesh):
            bpy.data.meshes.remove(data)
        elif isinstance(data, bpy.types.Armature):
            bpy.data.armatures.remove(data)
    overlay = find_strip(scene, record.overlay_strip) if record.overlay_strip else None
    if overlay is not None:
        top_strips(scene.sequence_editor).remove(overlay)
    record.overlay_strip = ""
    return bool(objects or overlay)


def strip_collection(scene, record):
    """The collection of the record's strip in its scene (made on first use)."""
    name = record.imported_collection or record.strip_name or "Move AI"
    found = next((c for c in scene.collection.children if c.name == name), None)
    if found is None:
        found = bpy.data.collections.new(record.strip_name or "Move AI")
        scene.collection.children.link(found)
    record.imported_collection = found.name
    return found


def _tidy(scene, record, objects, armature) -> None:
    """Into the strip's collection, named after the strip and the job: `walk`, `walk Body`, and
    the action `walk S2 job-1a2b`; each tagged with the job for a later re-import."""
    collection = strip_collection(scene, record)
    strip = record.strip_name or "Move"
    taken = bpy.data.objects.get(strip)
    armature.name = strip if taken is None or taken == armature else f"{strip} {short_job(record.job_id)}"
    for obj in objects:
        for users in list(obj.users_collection):
            users.objects.unlink(obj)
        collection.objects.link(obj)
        obj[JOB_TAG] = record.job_id
        if obj != armature:
            part = re.sub(r"^(Actor_?\d*_?)", "", obj.name.split(".")[0]) or obj.type.title()
            obj.name = f"{armature.name} {part}"
    action = armature.animation_data.action
    action.name = f"{strip} {record.options.mocap_model} {short_job(record.job_id)}"
    action[JOB_TAG] = record.job_id


def add_overlay_strip(scene, record) -> str:
    """The overlay video on a free channel above its source strip, starting where the strip's
    visible part starts; trimmed like the source when it holds the whole video."""
    source = find_strip(scene, record.strip_name)
    if source is None or scene.sequence_editor is None:
        return "The overlay video was downloaded, but its source strip is gone, so it was not added."
    start, end = source.frame_final_start, source.frame_final_end
    channel = free_channel_above(scene, source, start, end)
    strips = top_strips(scene.sequence_editor)
    overlay = strips.new_movie(f"{record.strip_name} overlay", record.overlay_path, channel=channel,
                               frame_start=start)
    record.overlay_strip = overlay.name
    if overlay.frame_duration == source.frame_duration:  # the whole video: trim it like the source
        overlay.frame_start = source.frame_start
        overlay.frame_offset_start = source.frame_offset_start
        overlay.frame_offset_end = source.frame_offset_end
    elif overlay.frame_final_end > end:  # the clip window: cut any extra tail
        overlay.frame_offset_end = overlay.frame_final_end - end
    return f"Overlay video added on channel {channel}."


def import_output(context, record) -> str:
    """Import the record's downloaded output into its strip's scene, replacing an earlier import of
    the same job, and return what was done, for the user."""
    scene = record.id_data  # the scene the record (and its strip) belongs to, not the window's
    path = record.output_path
    if not path or not os.path.isfile(path):
        raise ImportProblem(f"The downloaded output {path or '(none)'} is missing. Download it again "
                            "with Import (it fetches the file when it is gone).")
    if record.video_fps <= 0:
        raise ImportProblem("This job has no video frame rate recorded; capture the strip again.")
    scene_rate = (scene.render.fps, scene.render.fps_base)
    notes: list[str] = []  # what the import left out of the output, for the user
    if path.lower().endswith(".fbx"):
        objects, keyed_fps = _import_fbx(context, scene, path, record.strip_start)
    else:
        objects, keyed_fps = _append_blend(scene, path, record.video_fps, notes)
    armature = _pick_armature(objects)
    try:
        if armature is None or armature.animation_data is None or armature.animation_data.action is None:
            raise ImportProblem(f"{os.path.basename(path)!r} holds no animated armature; nothing was imported.")
        curves = _armature_curves(armature)
        _, first, _ = _key_span(curves)
    except ImportProblem:
        _remove(objects)
        scene.render.fps, scene.render.fps_base = scene_rate
        raise

    replaced = remove_earlier_import(scene, record)  # only now: a failed import keeps the earlier one
    _tidy(scene, record, objects, armature)
    _place_keys(curves, retime_for_import(first, keyed_fps, record.video_fps, record.strip_start))
    keys, first, last = _key_span(curves)

    prefs_mode = preferences(context).timing_mode
    video_rate = fps_parts(record.video_fps)
    if prefs_mode == "SCENE_FPS":
        scene.render.fps, scene.render.fps_base = video_rate
        timing = f"scene set to the video's {record.video_fps:g} fps"
    else:
        scene.render.fps, scene.render.fps_base = scene_rate
        scene_fps = scene_rate[0] / scene_rate[1]
        timing = (f"action retimed to one key per video frame; scene kept at {scene_fps:g} fps"
                  + ("" if same_rate(scene_fps, record.video_fps)
                     else f" (the {record.video_fps:g} fps video and the skeleton play together at that rate)"))

    view_layer = context.view_layer if context.scene == scene else scene.view_layers[0]
    view_layer.update()  # its bases still list the objects an earlier import removed
    for obj in view_layer.objects:
        if obj is not None:
            obj.select_set(False, view_layer=view_layer)
    armature.select_set(True, view_layer=view_layer)
    view_layer.objects.active = armature
    record.imported_object = armature.name

    message = (f"{'Imported again' if replaced else 'Imported'} {armature.name!r} into collection "
               f"{record.imported_collection!r} of scene {scene.name!r}: {keys} keys on frames "
               f"{first:g}-{last:g}, in step with strip {record.strip_name!r}; {timing}.")
    if record.overlay_path and os.path.isfile(record.overlay_path):
        message += " " + add_overlay_strip(scene, record)
    return " ".join([message, *notes])


def import_after_download(context, record) -> str:
    """The end of a capture: import the downloaded output into the scene (main thread)."""
    text = import_output(context, record)
    record.stage = "IMPORTED"
    return text
