# SPDX-License-Identifier: GPL-3.0-or-later
"""export_motion's Blender outputs, read back in real Blender: FBX, .blend and USD.

The exporter runs Blender in a subprocess; these tests open its files in this process's bpy and
compare the posed skeleton with local_server.kinematics, which proves the rotation conversion.
"""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from local_server.export import BlenderProcess, export_motion
from local_server.kinematics import forward_kinematics, quat_from_axis_angle
from local_server.motion import Motion
from local_server.rig import BODY_BONES, FINGER_BONES, MOVE_BONES, bone_name

FRAMES = 48
FPS = 24.0
RAISE_FRAME = 40  # sample index at which the left arm points straight up


def twisting_motion(fps: float = FPS, frames: int = FRAMES, seed: int = 7) -> Motion:
    """Every body bone turning about its own random axis by up to ~1 rad, the hips travelling.

    The left arm is overridden to point straight up at sample RAISE_FRAME, a pose a user recognises.
    """
    rng = np.random.default_rng(seed)
    names = [b.name for b in BODY_BONES]
    t = np.arange(frames) / frames
    axes = rng.normal(size=(len(names), 3))
    amplitude = rng.uniform(0.3, 1.0, size=len(names))
    phase = rng.uniform(0, 2 * np.pi, size=len(names))
    angles = amplitude[None, :] * np.sin(2 * np.pi * t[:, None] + phase[None, :])
    rotations = quat_from_axis_angle(np.broadcast_to(axes, (frames, len(names), 3)), angles)
    arm = names.index("LeftArm")
    up = np.clip(np.arange(frames) / RAISE_FRAME, 0, 1) * np.pi / 2  # +X turned 90 deg about -Y is +Z
    rotations[:, arm] = quat_from_axis_angle(np.broadcast_to([0.0, -1.0, 0.0], (frames, 3)), up)
    root = np.column_stack([0.3 * t, -0.2 * t, 0.95 + 0.05 * np.sin(4 * np.pi * t)])
    return Motion(fps=fps, bone_names=names, root_positions=root, rotations=rotations)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    motion = twisting_motion()
    out = tmp_path_factory.mktemp("export")
    timings: dict[str, float] = {}
    files = export_motion(motion, out, ["MAIN_FBX", "MAIN_BLEND", "MAIN_USDC", "MAIN_USDZ"], name="take",
                          timings=timings)
    return motion, files, timings


@pytest.fixture
def empty_scene():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    yield bpy.context.scene
    bpy.ops.wm.read_factory_settings(use_empty=True)


def _armature(scene) -> bpy.types.Object:
    armatures = [o for o in scene.objects if o.type == "ARMATURE"]
    assert len(armatures) == 1, [o.name for o in scene.objects]
    return armatures[0]


def _posed(scene, armature, frame: int, names: list[str], prefix=lambda n: bone_name(n)) -> tuple[np.ndarray, np.ndarray]:
    scene.frame_set(frame)
    heads, tails = [], []
    for name in names:
        pb = armature.pose.bones[prefix(name)]
        heads.append(tuple(armature.matrix_world @ pb.head))
        tails.append(tuple(armature.matrix_world @ pb.tail))
    return np.array(heads), np.array(tails)


def _key_frames(armature, data_path: str, index: int = 0) -> list[float]:
    action = armature.animation_data.action
    channelbag = action.layers[0].strips[0].channelbag(armature.animation_data.action_slot)
    fcurve = channelbag.fcurves.find(data_path, index=index)
    assert fcurve is not None, data_path
    return [kp.co[0] for kp in fcurve.keyframe_points]


def _import_fbx(scene, path, fps: int = 24):
    scene.render.fps, scene.render.fps_base = fps, 1.0
    bpy.ops.import_scene.fbx(filepath=str(path))
    return _armature(scene)


def test_export_writes_every_requested_blender_file(exported):
    _, files, timings = exported
    assert set(files) == {"MAIN_FBX", "MAIN_BLEND", "MAIN_USDC", "MAIN_USDZ"}
    assert [files[k].suffix for k in ("MAIN_FBX", "MAIN_BLEND", "MAIN_USDC", "MAIN_USDZ")] == [
        ".fbx", ".blend", ".usdc", ".usdz"]
    assert all(p.stat().st_size > 10_000 for p in files.values())
    assert {"blender", "MAIN_FBX", "MAIN_BLEND"} <= set(timings)


def test_fbx_has_moves_bones_and_one_key_per_sample(exported, empty_scene):
    motion, files, _ = exported
    armature = _import_fbx(empty_scene, files["MAIN_FBX"])
    assert {b.name for b in armature.data.bones} == {bone_name(b.name) for b in MOVE_BONES}
    assert armature.data.bones[0].name == "_1:Hips"
    assert armature.animation_data and armature.animation_data.action
    for path in ('pose.bones["_1:Hips"].location', 'pose.bones["_1:LeftForeArm"].rotation_quaternion'):
        assert _key_frames(armature, path) == pytest.approx(list(range(1, motion.frame_count + 1)))
    # The skinned body came along, bound to the armature.
    meshes = [o for o in empty_scene.objects if o.type == "MESH"]
    assert len(meshes) == 1 and any(m.type == "ARMATURE" and m.object == armature for m in meshes[0].modifiers)
    assert bone_name("LeftForeArm") in meshes[0].vertex_groups


def test_fbx_records_the_video_rate(exported, empty_scene):
    """Blender's FBX importer takes the file's frame rate over: a 48 fps scene becomes 24 fps."""
    motion, files, _ = exported
    armature = _import_fbx(empty_scene, files["MAIN_FBX"], fps=48)
    assert empty_scene.render.fps / empty_scene.render.fps_base == pytest.approx(FPS)
    assert _key_frames(armature, 'pose.bones["_1:Hips"].location') == pytest.approx(
        list(range(1, motion.frame_count + 1)))


def _directions(heads: np.ndarray, tails: np.ndarray) -> np.ndarray:
    v = tails - heads
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_fbx_pose_matches_forward_kinematics(exported, empty_scene):
    """Joint positions and bone directions; FBX keeps no bone tails, so the importer guesses lengths."""
    motion, files, _ = exported
    armature = _import_fbx(empty_scene, files["MAIN_FBX"])
    fk_heads, fk_tails = forward_kinematics(motion)
    for sample in (0, 13, 29, 47):
        heads, tails = _posed(empty_scene, armature, 1 + sample, motion.bone_names)
        np.testing.assert_allclose(heads, fk_heads[sample], atol=2e-4, err_msg=f"heads at sample {sample}")
        np.testing.assert_allclose(_directions(heads, tails), _directions(fk_heads[sample], fk_tails[sample]),
                                   atol=1e-3, err_msg=f"bone directions at sample {sample}")


def test_a_raised_arm_points_up_after_import(exported, empty_scene):
    motion, files, _ = exported
    armature = _import_fbx(empty_scene, files["MAIN_FBX"])
    heads, tails = _posed(empty_scene, armature, 1 + RAISE_FRAME, ["LeftArm"])
    direction = (tails[0] - heads[0]) / np.linalg.norm(tails[0] - heads[0])
    assert direction == pytest.approx([0.0, 0.0, 1.0], abs=1e-3)
    heads, tails = _posed(empty_scene, armature, 1, ["LeftArm"])
    assert (tails[0] - heads[0])[0] > 0.27  # at sample 0 it is still out to the side (+X)


def test_untracked_fingers_stay_at_rest_on_the_moving_hand(exported, empty_scene):
    motion, files, _ = exported
    armature = _import_fbx(empty_scene, files["MAIN_FBX"])
    empty_scene.frame_set(1 + 29)
    hand = armature.pose.bones["_1:LeftHand"]
    finger = armature.pose.bones["_1:LeftHandIndex2"]
    rest_offset = armature.data.bones["_1:LeftHand"].matrix_local.inverted() @ armature.data.bones[
        "_1:LeftHandIndex2"].matrix_local
    posed_offset = hand.matrix.inverted() @ finger.matrix
    assert np.allclose(np.array(posed_offset), np.array(rest_offset), atol=1e-4)
    assert not np.allclose(np.array(hand.matrix), np.array(armature.data.bones["_1:LeftHand"].matrix_local), atol=1e-2)


def test_blend_appends_the_armature_with_its_action(exported, empty_scene):
    motion, files, _ = exported
    blend = files["MAIN_BLEND"]
    with bpy.data.libraries.load(str(blend)) as (source, target):
        target.objects = list(source.objects)
    for obj in target.objects:
        empty_scene.collection.objects.link(obj)
    armature = _armature(empty_scene)
    assert armature.animation_data.action is not None
    assert _key_frames(armature, 'pose.bones["_1:Spine"].rotation_quaternion') == pytest.approx(
        list(range(1, FRAMES + 1)))
    fk_heads, fk_tails = forward_kinematics(motion)
    heads, tails = _posed(empty_scene, armature, 1 + 33, motion.bone_names)
    np.testing.assert_allclose(tails, fk_tails[33], atol=1e-4)
    assert {o.type for o in target.objects} == {"ARMATURE", "MESH"}


def test_blend_opens_with_the_scene_at_the_video_rate(exported):
    _, files, _ = exported
    bpy.ops.wm.open_mainfile(filepath=str(files["MAIN_BLEND"]))
    try:
        scene = bpy.context.scene
        assert scene.render.fps / scene.render.fps_base == pytest.approx(FPS)
        assert (scene.frame_start, scene.frame_end) == (1, FRAMES)
        assert len([o for o in scene.objects if o.type == "ARMATURE"]) == 1
    finally:
        bpy.ops.wm.read_factory_settings(use_empty=True)


def test_fractional_rate_reaches_scene_and_fbx(tmp_path, empty_scene):
    motion = twisting_motion(fps=30000 / 1001, frames=12)
    files = export_motion(motion, tmp_path, ["MAIN_FBX", "MAIN_BLEND"], name="ntsc")
    bpy.ops.wm.open_mainfile(filepath=str(files["MAIN_BLEND"]))
    scene = bpy.context.scene
    assert (scene.render.fps, scene.render.fps_base) == (30, pytest.approx(1.001))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    bpy.ops.import_scene.fbx(filepath=str(files["MAIN_FBX"]))
    assert scene.render.fps / scene.render.fps_base == pytest.approx(30000 / 1001, abs=1e-4)
    keys = _key_frames(_armature(scene), 'pose.bones["_1:Hips"].location')
    # The file holds sample k at k * 1001/30000 s. Blender 5.0's importer turns seconds into frames
    # with the whole rate (30, ignoring fps_base), so its keys drift by 0.1 % a frame: k * 1.001.
    assert keys == pytest.approx([1 + k * 1.001 for k in range(12)], abs=1e-3)


@pytest.mark.parametrize("output", ["MAIN_USDC", "MAIN_USDZ"])
def test_usd_holds_the_animated_skeleton(exported, empty_scene, output):
    motion, files, _ = exported
    empty_scene.render.fps = 24
    bpy.ops.wm.usd_import(filepath=str(files[output]))
    armature = _armature(empty_scene)
    # USD names cannot hold ':'; the importer reads `_1:Hips` back as `_1_Hips`.
    to_usd = lambda n: bone_name(n).replace(":", "_")  # noqa: E731
    assert to_usd("Hips") in armature.data.bones and len(armature.data.bones) == len(MOVE_BONES)
    fk_heads, fk_tails = forward_kinematics(motion)
    heads, tails = _posed(empty_scene, armature, 1 + RAISE_FRAME, motion.bone_names, prefix=to_usd)
    np.testing.assert_allclose(tails, fk_tails[RAISE_FRAME], atol=1e-3)


def test_only_requested_outputs_are_written(tmp_path):
    motion = twisting_motion(frames=6)
    files = export_motion(motion, tmp_path, ["MAIN_BLEND"], name="only")
    assert set(files) == {"MAIN_BLEND"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["only.blend"]
    with pytest.raises(ValueError, match="RENDER_OVERLAY_VIDEO"):
        export_motion(motion, tmp_path, ["RENDER_OVERLAY_VIDEO"])
    with pytest.raises(ValueError, match="plain file-name stem"):
        export_motion(motion, tmp_path, ["MAIN_BLEND"], name="../escape")
    assert len(FINGER_BONES) == 30  # the rig still carries fingers the motion did not


def test_blender_started_before_the_motion_writes_the_same_pose(tmp_path, empty_scene):
    """The processor starts Blender while it is still tracking and hands it the motion later."""
    motion = twisting_motion()
    with BlenderProcess() as blender:
        assert blender.running  # loading bpy, waiting for its request
        files = export_motion(motion, tmp_path, ["MAIN_FBX"], name="early", blender=blender)
        assert not blender.running
    armature = _import_fbx(empty_scene, files["MAIN_FBX"])
    fk_heads, fk_tails = forward_kinematics(motion)
    heads, tails = _posed(empty_scene, armature, 1 + RAISE_FRAME, motion.bone_names)
    np.testing.assert_allclose(heads, fk_heads[RAISE_FRAME], atol=2e-4)
    np.testing.assert_allclose(_directions(heads, tails), _directions(fk_heads[RAISE_FRAME], fk_tails[RAISE_FRAME]),
                               atol=1e-3)


def test_an_unused_early_blender_is_ended_and_its_scratch_removed():
    """A job that fails before its motion exists (nobody in the video) leaves no Blender behind."""
    blender = BlenderProcess()
    folder = blender.folder
    blender.close()
    assert not blender.running and not folder.exists()
