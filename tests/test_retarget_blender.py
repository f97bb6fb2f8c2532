# SPDX-License-Identifier: GPL-3.0-or-later
"""Retarget in real Blender: a real capture from the local server (reference processor) baked onto a
generated Rigify rig, a Mixamo-named A-pose rig and a UE5-named rig of other proportions, each
checked as Blender itself evaluates it (frame by frame, constraints included)."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from addon_fixtures import add_movie, addon, addon_zip, enabled_addon, installed_addon, prefs, scene  # noqa: F401
from media import make_video
from retarget_support import (build_armature, direction_errors, evaluated, generate_rigify, mixamo_rig,
                              snapshot_armature, ue5_rig)

LIMB_ROLES = [f"{p}.{s}" for s in "LR" for p in ("upper_arm", "forearm", "thigh", "shin")] + ["spine", "chest"]


@pytest.fixture(scope="module")
def capture_library(installed_addon, local_server, tmp_path_factory):
    """One real capture (3 s at 24 fps) imported by the add-on; its armature and action written to a
    library .blend that each test appends into its own empty file."""
    work = tmp_path_factory.mktemp("retarget")
    video = make_video(work / "clip.mp4", seconds=3.0, fps=24)
    enabled_addon()
    p = prefs()
    # the endpoint first: the key is kept per endpoint
    saved = {k: getattr(p, k) for k in ("endpoint", "api_key", "import_format", "add_overlay", "timing_mode",
                                        "download_dir")}
    p.endpoint, p.api_key, p.import_format, p.add_overlay = local_server.endpoint, local_server.api_key, "fbx", False
    p.timing_mode, p.download_dir = "RETIME", str(work / "downloads")
    try:
        bpy.ops.wm.read_homefile(use_empty=True)
        sc = bpy.context.scene
        sc.render.fps, sc.render.fps_base = 24, 1.0
        add_movie(sc, video, frame_start=1)
        assert bpy.ops.moveai.capture("EXEC_DEFAULT") == {"FINISHED"}
        arm = bpy.data.objects[sc.move_ai.jobs[-1].imported_object]
        path = work / "source.blend"
        bpy.data.libraries.write(str(path), {arm}, fake_user=True)
        return path, arm.name
    finally:
        p = prefs()
        for key, value in saved.items():
            setattr(p, key, value)


@pytest.fixture
def source(scene, capture_library):
    """The captured Move armature in an empty scene, recorded as the latest imported job's result."""
    path, name = capture_library
    with bpy.data.libraries.load(str(path)) as (src, dst):
        dst.objects = [name]
    obj = dst.objects[0]
    scene.collection.objects.link(obj)
    record = scene.move_ai.jobs.add()
    record.imported_object = obj.name
    return obj


def _retarget(active, **props):
    bpy.context.view_layer.objects.active = active
    return bpy.ops.moveai.retarget("EXEC_DEFAULT", **props)


def _keys_frames(obj):
    from importlib import import_module
    rigs = import_module("bl_ext.user_default.move_ai.core.retarget_rigs")
    anim = obj.animation_data
    curves = rigs.action_curves(anim.action, getattr(anim, "action_slot", None))
    return curves, {tuple(round(k.co.x, 4) for k in c.keyframe_points) for c in curves}


def _limb_pairs(addon, source, target, roles=tuple(LIMB_ROLES)):
    pairs, _, _ = addon.core.retarget_rigs.mapping(source, target, "AUTO")
    return [(p.source, p.target) for p in pairs if p.role in roles]


FINGER_ROLES = tuple(f"{f}.0{i}.{s}" for f in ("thumb", "index", "middle", "ring", "pinky") for i in (1, 2, 3)
                     for s in "LR")


def _assert_accurate(errors):
    assert errors.size and float(errors.mean()) <= 1.0 and float(np.percentile(errors, 95)) <= 3.0, (
        errors.mean(), np.percentile(errors, 95), errors.max(axis=0))


def test_mixamo_apose_rig_gets_a_new_action_and_nothing_else(addon, source):
    target = build_armature(mixamo_rig(), "Hero", modes={"mixamorig:LeftArm": "XYZ", "mixamorig:RightArm": "ZXY",
                                                         "mixamorig:LeftUpLeg": "AXIS_ANGLE"})
    old = bpy.data.actions.new("Hero idle")
    target.animation_data_create().action = old
    src_before, tgt_before = snapshot_armature(source), snapshot_armature(target)
    objects_before = sorted(o.name for o in bpy.data.objects)

    assert _retarget(target) == {"FINISHED"}  # source: the latest job's armature; target: the active one

    action = target.animation_data.action
    assert action != old and old.name in bpy.data.actions and old.use_fake_user
    assert snapshot_armature(source) == src_before
    after = snapshot_armature(target)
    for key in ("bones", "constraints", "object_constraints", "matrix_world"):
        assert after[key] == tgt_before[key], key
    assert sorted(o.name for o in bpy.data.objects) == objects_before
    first, last = (int(round(x)) for x in source.animation_data.action.frame_range)
    curves, key_frames = _keys_frames(target)
    assert key_frames == {tuple(float(f) for f in range(first, last + 1))}  # one key per source frame
    paths = {c.data_path for c in curves}
    assert 'pose.bones["mixamorig:LeftArm"].rotation_euler' in paths
    assert 'pose.bones["mixamorig:LeftUpLeg"].rotation_axis_angle' in paths
    assert 'pose.bones["mixamorig:Hips"].location' in paths

    errors = direction_errors(source, target, _limb_pairs(addon, source, target), range(first, last + 1))
    _assert_accurate(errors)
    fingers = _limb_pairs(addon, source, target, FINGER_ROLES)
    assert len(fingers) == 30
    _assert_accurate(direction_errors(source, target, fingers, range(first, last + 1)))


def test_ue5_rig_root_motion_and_foot_lock(addon, source):
    target = build_armature(ue5_rig(), "Mannequin")
    first, last = (int(round(x)) for x in source.animation_data.action.frame_range)
    frames = range(first, last + 1)
    slides = {}
    for lock in (False, True):
        assert _retarget(target, source=source.name, target=target.name, root_motion="ROOT",
                         foot_lock=lock) == {"FINISHED"}
        world = evaluated([target], frames)[target.name]
        ankle = world[:, target.pose.bones.find("foot_l"), :3, 3]
        slides[lock] = float(np.max(np.linalg.norm(ankle - ankle[0], axis=1)))
        if not lock:
            _assert_accurate(direction_errors(source, target, _limb_pairs(addon, source, target), frames))
    # The reference capture keeps its feet planted while the knees bend; this rig's thighs are far
    # longer than its shins, so copied directions alone slide its feet.
    assert slides[False] > 0.02 and slides[True] <= 0.01, slides
    curves, _ = _keys_frames(target)
    assert 'pose.bones["root"].location' in {c.data_path for c in curves}  # ROOT: the root bone moves


# Enabling Rigify in the Blender 4.2 module (even enable + disable, nothing generated) makes the
# process crash at exit (SIGSEGV after the tests passed), which would fail the run: 5.0 only.
@pytest.mark.skipif(bpy.app.version < (4, 4), reason="the bpy 4.2 module crashes at exit once Rigify was enabled")
def test_rigify_rig_driven_through_its_controls(addon, source):
    rig = generate_rigify()
    constraints_before = snapshot_armature(rig)["constraints"]
    assert _retarget(rig) == {"FINISHED"}
    curves, _ = _keys_frames(rig)
    paths = {c.data_path for c in curves}
    assert 'pose.bones["upper_arm_fk.L"].rotation_quaternion' in paths
    assert 'pose.bones["torso"].location' in paths
    assert 'pose.bones["upper_arm_parent.L"]["IK_FK"]' in paths  # arms switched to FK by the action
    assert not any(p.startswith('pose.bones["DEF-') or p.startswith('pose.bones["MCH-') for p in paths)
    assert snapshot_armature(rig)["constraints"] == constraints_before
    first, last = (int(round(x)) for x in source.animation_data.action.frame_range)
    pairs = _limb_pairs(addon, source, rig)
    _assert_accurate(direction_errors(source, rig, pairs, range(first, last + 1)))
    # what the mesh follows: the deform bones
    deform = [(s, "DEF-" + t.replace("_fk", "")) for s, t in pairs if "_fk." in t]
    _assert_accurate(direction_errors(source, rig, deform, range(first, last + 1)))
    # fingers too: their controls hang from the hand through Rigify's ORG/DEF/MCH chain
    fingers = _limb_pairs(addon, source, rig, FINGER_ROLES)
    assert len(fingers) == 30
    _assert_accurate(direction_errors(source, rig, fingers, range(first, last + 1)))


def test_undo_removes_the_new_action(addon, source):
    target = build_armature(mixamo_rig(), "Hero")
    bpy.ops.ed.undo_push(message="before retarget")
    # undo=True: the operator pushes its own undo step as when pressed in the interface
    # (operators called from Python skip that by default)
    assert bpy.ops.moveai.retarget("EXEC_DEFAULT", True) == {"FINISHED"}
    made = target.animation_data.action.name
    bpy.ops.ed.undo()
    assert made not in bpy.data.actions
    target = bpy.data.objects["Hero"]
    assert target.animation_data is None or target.animation_data.action is None


def test_partial_or_wrong_mapping_names_the_missing_bones(addon, source):
    specs = [s for s in mixamo_rig() if s.name not in ("mixamorig:LeftForeArm", "mixamorig:RightLeg")]
    for s in specs:
        if s.parent in ("mixamorig:LeftForeArm", "mixamorig:RightLeg"):
            s.parent = None
    target = build_armature(specs, "Broken")
    with pytest.raises(RuntimeError, match="mixamorig:LeftForeArm, mixamorig:RightLeg"):
        _retarget(target, preset="Mixamo")
    with pytest.raises(RuntimeError, match="no retarget preset named 'Nope'"):
        _retarget(target, preset="Nope")
    assert target.animation_data is None


def test_mapping_edited_in_the_panel_and_saved_as_a_user_preset(addon, source, scene):
    target = build_armature(mixamo_rig(), "Hero")
    settings = scene.move_ai_retarget
    settings.source, settings.target, settings.preset = source, target, "Mixamo"
    assert bpy.ops.moveai.retarget_load_mapping("EXEC_DEFAULT") == {"FINISHED"}
    assert settings.preset == "MAPPING" and len(settings.pairs) > 20
    row = next(r for r in settings.pairs if r.role == "head")
    row.target = "mixamorig:Neck"  # a wrong edit...
    with pytest.raises(RuntimeError, match="target bones mapped twice: mixamorig:Neck"):
        _retarget(target, preset="MAPPING")
    settings.pairs.remove(list(settings.pairs).index(row))  # ...removed instead
    assert _retarget(target, preset="MAPPING") == {"FINISHED"}
    curves, _ = _keys_frames(target)
    assert not any('"mixamorig:Head"' in c.data_path for c in curves)

    assert bpy.ops.moveai.retarget_save_preset("EXEC_DEFAULT", name="Hero rig") == {"FINISHED"}
    listed = [item[0] for item in addon.core.retarget_state.preset_items(settings, bpy.context)]
    assert "Hero rig" in listed and "Mixamo" in listed
    saved = next(p for p in addon.core.retarget_rigs.available_presets() if p.name == "Hero rig")
    assert not saved.builtin and "head" not in saved.bones and saved.bones["upper_arm.L"] == "mixamorig:LeftArm"
    assert _retarget(target, preset="Hero rig") == {"FINISHED"}


class _Layout:
    """Records what a draw function puts in a layout (the bpy module draws no interface)."""

    def __init__(self, log: list):
        self.log = log

    def __getattr__(self, name):
        if name in ("row", "column", "box", "split"):
            return lambda *a, **k: _Layout(self.log)
        if name == "operator":
            def operator(idname, **kw):
                props = type("Props", (), {})()
                self.log.append(("operator", idname, props))
                return props
            return operator
        return lambda *a, **k: self.log.append((name, a, k))


def test_panel_passes_its_settings_and_the_menu_lists_retarget(addon, source, scene):
    from types import SimpleNamespace
    target = build_armature(mixamo_rig(), "Hero")
    s = scene.move_ai_retarget
    s.source, s.target, s.preset, s.root_motion, s.foot_lock = source, target, "Mixamo", "IN_PLACE", True
    log: list = []
    addon.ui.retarget_panel.MOVEAI_PT_retarget.draw(SimpleNamespace(layout=_Layout(log)), bpy.context)
    op = next(props for kind, idname, *rest in [e for e in log if e[0] == "operator"]
              for props in rest if idname == "moveai.retarget")
    assert (op.source, op.target, op.preset, op.root_motion, op.foot_lock) == (
        source.name, "Hero", "Mixamo", "IN_PLACE", True)
    s.preset = "MAPPING"
    log.clear()
    addon.ui.retarget_panel.MOVEAI_PT_retarget.draw(SimpleNamespace(layout=_Layout(log)), bpy.context)
    assert any(e[0] == "template_list" for e in log)  # the editable mapping shows with MAPPING
    menu_log: list = []  # Object > Animation holds the Move AI submenu, which lists Retarget
    for draw in bpy.types.VIEW3D_MT_object_animation._dyn_ui_initialize():
        draw(SimpleNamespace(layout=_Layout(menu_log)), bpy.context)
    assert ("menu", ("MOVEAI_MT_menu",), {"icon": "ARMATURE_DATA"}) in menu_log
    addon.ui.menus.MOVEAI_MT_menu.draw(SimpleNamespace(layout=_Layout(menu_log)), bpy.context)
    assert any(e[0] == "operator" and e[1] == "moveai.retarget" for e in menu_log)
