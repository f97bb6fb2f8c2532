# SPDX-License-Identifier: GPL-3.0-or-later
"""lib/retarget on arrays alone (no Blender): rotations, presets, direction transfer onto rigs with
other rests, rolls and proportions, root motion and foot lock."""
from __future__ import annotations

import numpy as np
import pytest

from lib.retarget import contacts, presets, rotations as R
from lib.retarget.skeleton import forward_kinematics
from lib.retarget.solve import Options, retarget
from retarget_support import (mixamo_rig, move_rig, smooth_noise, source_motion, target_from_specs,
                              ue5_rig)

LIMB_ROLES = [f"{p}.{s}" for s in "LR" for p in ("upper_arm", "forearm", "thigh", "shin")] + ["spine", "chest"]


def _pairs(source_names, target_names):
    built = presets.builtin_presets()
    src, tgt = presets.detect(source_names, built), presets.detect(target_names, built)
    return src, tgt, presets.pairs_between(presets.resolve(src, source_names), presets.resolve(tgt, target_names))


def _moving_source(frames=90, seed=0, travel=0.0):
    specs = move_rig()
    rng = np.random.default_rng(seed)
    deltas = smooth_noise(rng, frames, len(specs), 0.6)
    # the deltas are armature-space: compose down the tree so children inherit their parents' turn
    names = [s.name for s in specs]
    world = deltas.copy()
    for i, s in enumerate(specs):
        if s.parent:
            world[:, i] = world[:, names.index(s.parent)] @ deltas[:, i]
    hips = np.tile(specs[0].head, (frames, 1))
    hips[:, 1] -= travel * np.arange(frames) / frames
    return specs, source_motion(specs, world, hips)


def _fk_world(rig, result):
    """The target's world matrices recomputed from the keyed local values, as Blender would."""
    frames = result.frames
    basis = np.broadcast_to(rig.basis, (frames,) + rig.basis.shape).copy()
    for name, rot in result.rotations.items():
        basis[:, rig.index(name), :3, :3] = rot
    for name, loc in result.locations.items():
        basis[:, rig.index(name), :3, 3] = loc
    return forward_kinematics(rig.rest_world, rig.parents, basis)


def test_rotation_conversions_round_trip():
    rng = np.random.default_rng(5)
    m = R.quat_to_matrix(R.normalize(rng.normal(size=(100, 4))))
    assert np.allclose(R.quat_to_matrix(R.matrix_to_quat(m)), m, atol=1e-12)
    for order in R.EULER_ORDERS:
        assert np.allclose(R.euler_to_matrix(R.matrix_to_euler(m, order), order), m, atol=1e-9), order
    aa = R.matrix_to_axis_angle(m)
    assert np.allclose(R.axis_angle_to_matrix(aa[:, 1:], aa[:, 0]), m, atol=1e-9)
    # X first: a quarter turn about X then about Z takes +Y to -X... Blender's XYZ is Rz @ Ry @ Rx
    e = R.euler_to_matrix(np.array([np.pi / 2, 0, np.pi / 2]), "XYZ")
    assert np.allclose(e @ [0, 1, 0], [0, 0, 1], atol=1e-12)
    assert np.allclose(e @ [1, 0, 0], [0, 1, 0], atol=1e-12)


def test_continuous_curves_do_not_jump():
    angles = np.linspace(0, 4 * np.pi, 200)
    m = R.axis_angle_to_matrix(np.tile([0.3, 0.5, 0.8], (200, 1)), angles)
    q = R.continuous_quats(R.matrix_to_quat(m))
    assert np.max(np.linalg.norm(np.diff(q, axis=0), axis=1)) < 0.1
    for order in ("XYZ", "ZXY"):
        e = R.continuous_eulers(R.matrix_to_euler(m, order), order)
        assert np.max(np.abs(np.diff(e, axis=0))) < 0.3
        assert np.allclose(R.euler_to_matrix(e, order), m, atol=1e-9)


def test_presets_detect_and_resolve_namespaces():
    built = presets.builtin_presets()
    names = {p.name for p in built}
    assert {"Move", "Mixamo", "Rigify", "Rigify DEF", "Rigify Metarig", "UE5 Mannequin", "VRM",
            "Auto-Rig Pro"} <= names
    mixamo = [s.name.replace("mixamorig:", "mixamorig7:") for s in mixamo_rig()]
    found = presets.detect(mixamo, built)
    assert found.name == "Mixamo"
    assert presets.resolve(found, mixamo)["upper_arm.L"] == "mixamorig7:LeftArm"
    assert presets.detect([s.name for s in ue5_rig()], built).name == "UE5 Mannequin"
    assert presets.detect([s.name for s in move_rig()], built).name == "Move"
    assert presets.detect(["Bone", "Bone.001"], built) is None


def test_partial_mapping_names_the_missing_bones():
    _, _, pairs = _pairs([s.name for s in move_rig()], [s.name for s in mixamo_rig()])
    target = [s.name for s in mixamo_rig() if s.name not in ("mixamorig:LeftForeArm", "mixamorig:RightUpLeg")]
    with pytest.raises(presets.MappingProblem, match="mixamorig:LeftForeArm, mixamorig:RightUpLeg"):
        presets.check_pairs(pairs, [s.name for s in move_rig()], target, "src", "tgt")
    kept = [p for p in pairs if p.role not in ("forearm.L",)]
    with pytest.raises(presets.MappingProblem, match="no bone mapped for: forearm.L"):
        presets.check_pairs(kept, [s.name for s in move_rig()], [s.name for s in mixamo_rig()], "src", "tgt")


def test_user_presets_round_trip(tmp_path):
    p = presets.Preset("My Rig", {"hips": "pelvis", "upper_arm.L": "arm_L"}, "mine", builtin=False)
    presets.save_user_preset(tmp_path, p)
    (tmp_path / "broken.json").write_text("{not json")
    found = presets.all_presets(tmp_path)
    assert presets.find_preset("my rig", found).bones == p.bones
    assert found[-1].builtin is False and len([q for q in found if not q.builtin]) == 1


@pytest.mark.parametrize("make", [mixamo_rig, ue5_rig], ids=["mixamo_apose", "ue5_proportions"])
def test_directions_match_source_on_other_rests(make):
    specs, source = _moving_source()
    rig = target_from_specs(make())
    _, _, pairs = _pairs(source.names, rig.names)
    result = retarget(source, rig, pairs, Options())
    world = _fk_world(rig, result)
    by_role = {p.role: p for p in pairs}
    worst = 0.0
    for role in LIMB_ROLES + ["hand.L", "foot.R", "neck", "head"]:
        if role not in by_role:
            continue
        p = by_role[role]
        err = R.angle_between(world[:, rig.index(p.target), :3, 1], source.world[:, source.index(p.source), :3, 1])
        worst = max(worst, float(err.max()))
    assert worst < 1e-4  # degrees: exact up to arccos rounding
    # The hips keep the source's rotation change (not its direction: that is a rig convention)
    hips = by_role["hips"]
    src_change = source.world[:, source.index(hips.source), :3, :3] @ source.rest_world[source.index(hips.source), :3, :3].T
    tgt_change = world[:, rig.index(hips.target), :3, :3] @ rig.rest_world[rig.index(hips.target), :3, :3].T
    assert np.allclose(src_change, tgt_change, atol=1e-9)
    # Unmapped extra bones keep their rest relation to their parent
    twist = rig.index("twist_Left")
    parent = rig.parents[twist]
    rel = np.linalg.inv(world[:, parent]) @ world[:, twist]
    assert np.allclose(rel, np.linalg.inv(rig.rest_world[parent]) @ rig.rest_world[twist], atol=1e-9)


def test_root_motion_modes():
    specs, source = _moving_source(travel=0.8)
    rig = target_from_specs(ue5_rig())
    _, _, pairs = _pairs(source.names, rig.names)
    hips = next(p for p in pairs if p.role == "hips")
    src_move = source.world[:, 0, :3, 3] - source.rest_world[0, :3, 3]
    hips_move = {}
    for mode in ("HIPS", "IN_PLACE", "ROOT"):
        result = retarget(source, rig, pairs, Options(root_motion=mode, root_bone="root"))
        world = _fk_world(rig, result)
        hips_move[mode] = world[:, rig.index(hips.target), :3, 3] - rig.rest_world[rig.index(hips.target), :3, 3]
        if mode == "ROOT":
            root = world[:, rig.index("root"), :3, 3]
            assert np.allclose(root[:, :2], result.leg_ratio * src_move[:, :2], atol=1e-9)
            assert np.allclose(root[:, 2], 0.0)
            assert np.allclose(result.locations[hips.target][:, 1], result.locations[hips.target][0, 1])
    ratio = result.leg_ratio
    assert 1.1 < ratio < 1.3  # the UE5 rig's legs are longer
    assert np.allclose(hips_move["HIPS"], ratio * src_move, atol=1e-9)
    assert np.allclose(hips_move["IN_PLACE"][:, :2], 0, atol=1e-9)
    assert np.allclose(hips_move["IN_PLACE"][:, 2], ratio * src_move[:, 2], atol=1e-9)
    assert np.allclose(hips_move["ROOT"], hips_move["HIPS"], atol=1e-9)  # the same place in the world
    # no root bone: the object carries the travel
    no_root = retarget(source, rig, pairs, Options(root_motion="ROOT", root_bone=""))
    assert np.allclose(no_root.object_offsets[:, :2], ratio * src_move[:, :2], atol=1e-9)


def _knee_bend_source(frames=120, fps=30.0):
    """The feet stay planted while the knees bend (as the reference processor's exercise), then the
    left foot lifts and steps forward."""
    specs = move_rig()
    names = [s.name for s in specs]
    t = np.arange(frames) / fps
    half = 0.35 * 0.5 * (1 - np.cos(2 * np.pi * t / 2.0))
    deltas = np.broadcast_to(np.eye(3), (frames, len(specs), 3, 3)).copy()
    x = np.array([1.0, 0, 0])
    for side in ("Left", "Right"):
        thigh = R.axis_angle_to_matrix(np.tile(x, (frames, 1)), -half)
        for n in (f"_1:{side}UpLeg",):
            deltas[:, names.index(n)] = thigh
        for n in (f"_1:{side}Leg", f"_1:{side}Foot", f"_1:{side}ToeBase"):
            deltas[:, names.index(n)] = np.eye(3)
    hips = np.tile(specs[0].head, (frames, 1))
    hips[:, 2] -= 0.86 * (1 - np.cos(half))
    return source_motion(specs, deltas, hips, fps)


def test_foot_lock_keeps_planted_feet_still():
    source = _knee_bend_source()
    rig = target_from_specs(ue5_rig())  # thighs much longer than shins: unlocked feet slide
    _, _, pairs = _pairs(source.names, rig.names)
    found = contacts.find_contacts(source, {p.role: p for p in pairs}, contacts.LockSettings())
    assert [(c.side, c.start, c.end) for c in found] == [("L", 0, 119), ("R", 0, 119)]
    slide = {}
    for lock in (False, True):
        world = _fk_world(rig, retarget(source, rig, pairs, Options(foot_lock=lock)))
        ankle = world[:, rig.index("foot_l"), :3, 3]
        slide[lock] = float(np.max(np.linalg.norm(ankle - ankle[0], axis=1)))
    assert slide[False] > 0.02 and slide[True] < 1e-3, slide


def test_contacts_from_speed_and_height():
    fps = 30.0
    pos = np.zeros((60, 3))
    pos[20:40, 2] = 0.2 * np.sin(np.linspace(0, np.pi, 20))  # a lifted foot
    pos[20:40, 1] = np.linspace(0, 0.5, 20)
    pos[40:, 1] = 0.5
    mask = contacts.planted(pos, fps, 0.9, contacts.LockSettings())
    # the foot is still on the ground up to frame 19 and again from frame 40, where it lands
    assert contacts.runs(mask, 3) == [(0, 19), (40, 59)]


def test_match_current_pose_takes_the_twist_from_the_pose():
    """A rig posed by the user (here: its upper arm turned 90 deg about itself, palm forward) is the
    match for the source's T-pose: directions still match, and the twist comes from that pose."""
    specs, source = _moving_source(frames=4)
    source.world[:] = source.rest_world  # the source stands in its rest on every frame
    rig = target_from_specs(mixamo_rig())
    arm = rig.index("mixamorig:LeftArm")
    rig.basis[arm, :3, :3] = R.axis_angle_to_matrix(np.array([0.0, 1.0, 0.0]), np.pi / 2)  # about the bone
    rig.pose_world = forward_kinematics(rig.rest_world, rig.parents, rig.basis[None])[0]
    _, _, pairs = _pairs(source.names, rig.names)
    worlds = {}
    for current in (False, True):
        result = retarget(source, rig, pairs, Options(match_current_pose=current))
        worlds[current] = result.world["mixamorig:LeftArm"][0, :3, :3]
    src_dir = source.world[0, source.index("_1:LeftArm"), :3, 1]
    for w in worlds.values():
        assert R.angle_between(w[:, 1], src_dir) < 1e-4
    assert abs(R.angle_between(worlds[True][:, 0], worlds[False][:, 0]) - 90.0) < 1e-4
