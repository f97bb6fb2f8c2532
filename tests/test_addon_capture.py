# SPDX-License-Identifier: GPL-3.0-or-later
"""End to end in real Blender against the local server: a trimmed movie strip becomes an armature
whose keys start on the strip's first visible frame, one key per video frame.

The bpy module has no event loop, so the modal path is driven by calling the real operator's modal()
with stand-in TIMER events (see blender_harness.ModalRun); execute() is the blocking path.
"""
from __future__ import annotations

import bpy
import pytest

from addon_fixtures import (add_movie, addon, addon_zip, armature_keys, installed_addon, local_prefs,  # noqa: F401
                            modal, scene, strips_of)
from media import make_video

STRIP_START, TRIM_START, TRIM_END = 37, 6, 10


def _check_armature(sc, strip, record):
    arm = bpy.data.objects[record.imported_object]
    assert arm.type == "ARMATURE" and arm.name == strip.name
    assert bpy.context.view_layer.objects.active == arm and arm.select_get()
    keys = armature_keys(arm)
    first = strip.frame_final_start
    assert first == STRIP_START + TRIM_START
    # one key per video frame the strip shows, on the very frames the strip shows them
    assert keys == [float(f) for f in range(first, first + strip.frame_final_duration)]
    return arm, keys


def test_capture_modal_fbx(scene, local_prefs, modal, sample_video):
    strip = add_movie(scene, sample_video, STRIP_START, TRIM_START, TRIM_END)
    driver = modal("MOVEAI_OT_capture")
    assert driver.run(timeout=90) == {"FINISHED"}, driver.reports
    record = scene.move_ai.jobs[-1]
    assert record.file_id.startswith("file-") and record.take_id.startswith("take-")
    assert record.job_id.startswith("job-") and record.job_state == "FINISHED"
    assert record.stage == "IMPORTED" and record.output_path.endswith(".fbx")
    assert record.clip_start == pytest.approx(TRIM_START / 24)
    assert record.clip_end == pytest.approx((TRIM_START + strip.frame_final_duration) / 24)
    _check_armature(scene, strip, record)
    assert (scene.render.fps, scene.render.fps_base) == (24, 1.0)
    assert any(level == "INFO" and "in step with strip" in text for level, text in driver.reports), driver.reports


def test_capture_blocking_blend(scene, local_prefs, sample_video):
    local_prefs.import_format = "blend"
    strip = add_movie(scene, sample_video, STRIP_START, TRIM_START, TRIM_END)
    objects_before = set(bpy.data.objects)
    if bpy.app.version < (5, 0):  # the local server writes .blend files with Blender 5.0
        with pytest.raises(RuntimeError, match="saved by a newer Blender cannot be opened"):
            bpy.ops.moveai.capture("EXEC_DEFAULT")
        assert set(bpy.data.objects) == objects_before
        return
    assert bpy.ops.moveai.capture("EXEC_DEFAULT") == {"FINISHED"}
    record = scene.move_ai.jobs[-1]
    assert record.output_path.endswith(".blend")
    arm, _ = _check_armature(scene, strip, record)
    new = set(bpy.data.objects) - objects_before
    collection = scene.collection.children[record.imported_collection]  # the strip's collection
    assert record.imported_collection == strip.name
    assert arm in new and all(o.name in collection.objects for o in new)  # appended and linked
    assert all(o.library is None for o in new) and arm.animation_data.action.library is None  # appended


@pytest.mark.parametrize("mode", ["RETIME", "SCENE_FPS"])
def test_30fps_scene_24fps_clip_stays_in_sync(scene, local_prefs, modal, tmp_path, mode):
    """A movie strip shows one video frame per scene frame at any scene rate; Blender's FBX importer
    lays keys at the file's rate (and sets the scene to it), so the add-on must put them back."""
    local_prefs.timing_mode = mode
    scene.render.fps = 30
    video = make_video(tmp_path / "clip24.mp4", seconds=2.0, fps=24)
    strip = add_movie(scene, video, STRIP_START, TRIM_START, TRIM_END)
    duration = strip.frame_final_duration
    driver = modal("MOVEAI_OT_capture")
    assert driver.run(timeout=90) == {"FINISHED"}, driver.reports
    record = scene.move_ai.jobs[-1]
    _check_armature(scene, strip, record)
    assert strip.frame_final_duration == duration
    text = next(t for level, t in driver.reports if level == "INFO" and "Imported" in t)
    if mode == "RETIME":
        assert scene.render.fps == 30 and "scene kept at 30 fps" in text
    else:
        assert scene.render.fps == 24 and "scene set to the video's 24 fps" in text


def test_overlay_video_lands_above_the_strip(scene, local_prefs, sample_video):
    local_prefs.add_overlay = True
    strip = add_movie(scene, sample_video, STRIP_START, TRIM_START, TRIM_END)
    assert bpy.ops.moveai.capture("EXEC_DEFAULT") == {"FINISHED"}
    record = scene.move_ai.jobs[-1]
    assert record.overlay_path.endswith(".mp4")
    overlay = [s for s in strips_of(scene) if s.name != strip.name]
    assert len(overlay) == 1
    overlay = overlay[0]
    assert overlay.type == "MOVIE" and overlay.channel == strip.channel + 1
    assert (overlay.frame_final_start, overlay.frame_final_end) == (strip.frame_final_start,
                                                                     strip.frame_final_end)


def test_rerun_and_import_again(scene, local_prefs, sample_video):
    """Re-run makes a second job on the same take with other options; Import works on a finished job."""
    add_movie(scene, sample_video, STRIP_START, TRIM_START, TRIM_END)
    assert bpy.ops.moveai.capture("EXEC_DEFAULT") == {"FINISHED"}
    first = scene.move_ai.jobs[-1]
    first_uid, take, job = first.uid, first.take_id, first.job_id
    scene.move_ai.use_custom_options = True
    scene.move_ai.options.mocap_model = "S1"
    assert bpy.ops.moveai.rerun_job("EXEC_DEFAULT", job=first_uid) == {"FINISHED"}
    second = scene.move_ai.jobs[-1]
    assert second.take_id == take and second.job_id != job and second.options.mocap_model == "S1"
    assert second.job_state == "FINISHED" and second.stage == "IMPORTED"
    names = sorted(o.name for o in bpy.data.objects)
    assert bpy.ops.moveai.import_output("EXEC_DEFAULT", job=first_uid) == {"FINISHED"}
    assert sorted(o.name for o in bpy.data.objects) == names  # the first job's import is replaced


@pytest.mark.parametrize("mode", ["RETIME", "SCENE_FPS"])
def test_ntsc_clip_keys_land_on_whole_frames(scene, local_prefs, tmp_path, mode):
    """A 29.97 fps clip: Blender's FBX importer lays its keys 1.001 frames apart (it converts time
    with the whole rate 30), so here, unlike at whole rates, the add-on has to rescale them."""
    local_prefs.timing_mode = mode
    video = make_video(tmp_path / "clip2997.mp4", seconds=2.0, fps="30000/1001")
    strip = add_movie(scene, video, STRIP_START, TRIM_START, TRIM_END)
    assert strip.fps == pytest.approx(29.97, abs=1e-3)
    assert bpy.ops.moveai.capture("EXEC_DEFAULT") == {"FINISHED"}
    record = scene.move_ai.jobs[-1]
    assert record.output_path.endswith(".fbx")
    _check_armature(scene, strip, record)
    if mode == "RETIME":
        assert (scene.render.fps, scene.render.fps_base) == (24, 1.0)
    else:
        assert scene.render.fps == 30 and scene.render.fps_base == pytest.approx(1.001, abs=1e-5)


def test_blend_keys_move_with_their_handles(scene, addon, local_prefs, sample_video):
    """The .blend output keys sample i on frame 1 + i; moved to the strip, each key's handles come
    along, so the curve between keys keeps its shape."""
    if bpy.app.version < (5, 0):
        pytest.skip("the local server writes .blend files with Blender 5.0")
    local_prefs.import_format = "blend"
    strip = add_movie(scene, sample_video, STRIP_START, TRIM_START, TRIM_END)
    assert bpy.ops.moveai.capture("EXEC_DEFAULT") == {"FINISHED"}
    record = scene.move_ai.jobs[-1]
    arm, keys = _check_armature(scene, strip, record)
    anim = arm.animation_data
    curves = addon.core.importer.action_fcurves(anim.action, getattr(anim, "action_slot", None))
    for curve in curves:
        for point in curve.keyframe_points:
            assert point.handle_left.x <= point.co.x <= point.handle_right.x
            assert point.co.x - point.handle_left.x <= 1 and point.handle_right.x - point.co.x <= 1
