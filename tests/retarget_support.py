# SPDX-License-Identifier: GPL-3.0-or-later
"""Target rigs for the retarget tests and benchmark, built from bone tables: a Mixamo-named A-pose
rig and a UE5-named rig with other proportions, other rolls and extra (twist, face) bones.

The geometry starts from Move's T-pose skeleton (local_server/rig.py), is re-proportioned per body
part, split where the naming has more spine bones, and has its arms lowered into an A-pose.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from local_server.rig import MOVE_BONES, bone_name


@dataclass
class BoneSpec:
    name: str
    parent: str | None
    head: np.ndarray
    tail: np.ndarray
    roll_axis: np.ndarray  # the bone's Z axis is put as near this as it can be


def _part(name: str) -> str:
    if "Hand" in name and name not in ("LeftHand", "RightHand"):
        return "finger"
    for part, keys in (("arm", ("Shoulder", "Arm", "Hand")), ("thigh", ("UpLeg",)), ("shin", ("Leg",)),
                       ("foot", ("Foot", "Toe"))):
        if any(k in name for k in keys):
            return part
    return "spine"


def _rotate_about(point, pivot, axis, angle):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    v = point - pivot
    return pivot + v * np.cos(angle) + np.cross(axis, v) * np.sin(angle) + axis * np.dot(axis, v) * (1 - np.cos(angle))


def humanoid(rename: dict[str, str | list[str]], scale: dict[str, float], arm_down_deg: float,
             roll_seed: int, root: str | None = None, extras: bool = True) -> list[BoneSpec]:
    """Move's skeleton renamed (a list splits a bone into a chain), each part's bones scaled by
    `scale[part]`, arms turned down by `arm_down_deg`, rolls random (seeded)."""
    rng = np.random.default_rng(roll_seed)
    new_head: dict[str, np.ndarray] = {}
    new_tail: dict[str, np.ndarray] = {}
    for b in MOVE_BONES:  # parent first: re-proportion by walking the tree
        head, tail = np.array(b.head), np.array(b.tail)
        s = scale.get(_part(b.name), 1.0)
        if b.parent is None:
            new_head[b.name] = head * np.array([1, 1, scale.get("thigh", 1) * 0.5 + scale.get("shin", 1) * 0.5])
        else:
            p = MOVE_BONES[[x.name for x in MOVE_BONES].index(b.parent)]
            ps = scale.get(_part(p.name), 1.0)
            # offset from the parent's head, scaled like the parent (joint positions along it)
            new_head[b.name] = new_head[p.name] + (head - np.array(p.head)) * ps
        new_tail[b.name] = new_head[b.name] + (tail - head) * s
    angle = np.radians(arm_down_deg)
    for side, sign in (("Left", 1.0), ("Right", -1.0)):
        pivot = new_head[f"{side}Arm"].copy()
        for n in list(new_head):
            if n.startswith(side) and any(k in n for k in ("Arm", "Hand")):
                new_head[n] = _rotate_about(new_head[n], pivot, (0, sign, 0), angle)
                new_tail[n] = _rotate_about(new_tail[n], pivot, (0, sign, 0), angle)
    specs: list[BoneSpec] = []
    last_of: dict[str, str] = {}

    def roll():
        v = rng.normal(size=3)
        return v / np.linalg.norm(v)

    if root:
        specs.append(BoneSpec(root, None, np.zeros(3), np.array([0.0, 0.0, 0.15]), np.array([0.0, -1.0, 0.0])))
    for b in MOVE_BONES:
        names = rename.get(b.name, b.name)
        names = names if isinstance(names, list) else [names]
        parent = last_of.get(b.parent) if b.parent else root
        h, t = new_head[b.name], new_tail[b.name]
        for k, n in enumerate(names):
            a, z = h + (t - h) * k / len(names), h + (t - h) * (k + 1) / len(names)
            specs.append(BoneSpec(n, parent, a, z, roll()))
            parent = n
        last_of[b.name] = names[-1]
    if extras:
        by = {s.name: s for s in specs}
        for side in ("Left", "Right"):
            arm = by[last_of[f"{side}Arm"]]
            specs.append(BoneSpec(f"twist_{side}", arm.name, arm.head + 0.5 * (arm.tail - arm.head), arm.tail,
                                  roll()))
        head = by[last_of["Head"]]
        for k, x in enumerate((-0.03, 0.03)):
            specs.append(BoneSpec(f"eye_{k}", head.name, head.head + np.array([x, -0.08, 0.1]),
                                  head.head + np.array([x, -0.1, 0.1]), roll()))
        specs.append(BoneSpec("jaw", head.name, head.head + np.array([0, -0.02, 0.02]),
                              head.head + np.array([0, -0.1, 0.0]), roll()))
    return specs


def _side_names(fmt_left: str, fmt_right: str, table: dict[str, str]) -> dict[str, str]:
    out = {}
    for move, name in table.items():
        if "{side}" in move:
            out[move.format(side="Left")] = name.format(s=fmt_left)
            out[move.format(side="Right")] = name.format(s=fmt_right)
        else:
            out[move] = name
    return out


MIXAMO_NAMES = {b.name: "mixamorig:" + b.name for b in MOVE_BONES}
MIXAMO_NAMES["Spine1"] = ["mixamorig:Spine1", "mixamorig:Spine2"]

_UE5 = {"Hips": "pelvis", "Neck": "neck_01", "Head": "head", "{side}Shoulder": "clavicle_{s}",
        "{side}Arm": "upperarm_{s}", "{side}ForeArm": "lowerarm_{s}", "{side}Hand": "hand_{s}",
        "{side}UpLeg": "thigh_{s}", "{side}Leg": "calf_{s}", "{side}Foot": "foot_{s}", "{side}ToeBase": "ball_{s}"}
for _f, _u in (("Thumb", "thumb"), ("Index", "index"), ("Middle", "middle"), ("Ring", "ring"), ("Pinky", "pinky")):
    for _i in range(1, 4):
        _UE5[f"{{side}}Hand{_f}{_i}"] = f"{_u}_0{_i}_{{s}}"
UE5_NAMES: dict = _side_names("l", "r", _UE5)
UE5_NAMES["Spine"] = ["spine_01", "spine_02"]
UE5_NAMES["Spine1"] = ["spine_03", "spine_04", "spine_05"]


def mixamo_rig() -> list[BoneSpec]:
    """Mixamo names, A-pose (arms 40 deg down), longer arms, shorter legs."""
    return humanoid(MIXAMO_NAMES, {"arm": 1.1, "thigh": 0.9, "shin": 0.9, "spine": 1.05, "foot": 1.0},
                    arm_down_deg=40, roll_seed=1)


def ue5_rig() -> list[BoneSpec]:
    """UE5 names, a root bone, arms 30 deg down, long thighs and short shins, bigger overall."""
    return humanoid(UE5_NAMES, {"arm": 1.2, "thigh": 1.35, "shin": 1.05, "spine": 1.25, "foot": 1.2,
                                "finger": 1.2}, arm_down_deg=30, roll_seed=2, root="root")


def move_rig() -> list[BoneSpec]:
    """Move's own skeleton in its T-pose, for the numpy tests' source."""
    return humanoid({b.name: bone_name(b.name) for b in MOVE_BONES}, {}, arm_down_deg=0, roll_seed=3,
                    extras=False)


def rest_matrices(specs: list[BoneSpec]) -> np.ndarray:
    from lib.retarget.skeleton import rest_matrix
    return np.stack([rest_matrix(s.head, s.tail, s.roll_axis) for s in specs])


def target_from_specs(specs: list[BoneSpec]):
    """A TargetRig standing in its rest pose (what core reads from a Blender armature)."""
    from lib.retarget.solve import TargetRig
    rest = rest_matrices(specs)
    names = [s.name for s in specs]
    return TargetRig(names, [names.index(s.parent) if s.parent else -1 for s in specs], rest, rest.copy(),
                     np.broadcast_to(np.eye(4), rest.shape).copy())


def smooth_noise(rng, frames: int, bones: int, amplitude: float) -> np.ndarray:
    """Smooth random rotations (frames, bones, 3, 3): sums of slow sines about random axes."""
    from lib.retarget.rotations import axis_angle_to_matrix
    t = np.arange(frames)[:, None]
    out = np.broadcast_to(np.eye(3), (frames, bones, 3, 3)).copy()
    for _ in range(2):
        axis = rng.normal(size=(bones, 3))
        phase, period = rng.uniform(0, 6.3, bones), rng.uniform(20, 60, bones)
        angle = amplitude * np.sin(2 * np.pi * t / period + phase)
        out = axis_angle_to_matrix(np.broadcast_to(axis, (frames, bones, 3)), angle) @ out
    return out


def source_motion(specs: list[BoneSpec], deltas: np.ndarray, hips: np.ndarray, fps: float = 30.0):
    """A SourceMotion of `specs` (parent first) whose bones turn by armature-space `deltas`
    (frames, bones, 3, 3) from their rest, the root bone's head following `hips` (frames, 3)."""
    from lib.retarget.solve import SourceMotion
    rest = rest_matrices(specs)
    names = [s.name for s in specs]
    frames = len(hips)
    world = np.broadcast_to(np.eye(4), (frames, len(specs), 4, 4)).copy()
    for i, s in enumerate(specs):
        world[:, i, :3, :3] = deltas[:, i] @ rest[i, :3, :3]
        if s.parent is None:
            world[:, i, :3, 3] = hips
        else:
            p = names.index(s.parent)
            offset = rest[i, :3, 3] - rest[p, :3, 3]
            world[:, i, :3, 3] = world[:, p, :3, 3] + (deltas[:, p] @ offset[:, None])[..., 0]
    return SourceMotion(names, world, rest, fps)


# -- in Blender (bpy imported only by the functions below) -------------------------------------------

def build_armature(specs: list[BoneSpec], name: str, modes: dict[str, str] | None = None):
    """An armature object from a bone table, made active; `modes` sets some bones' rotation modes."""
    import bpy
    data = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, data)
    bpy.context.scene.collection.objects.link(obj)
    for o in bpy.context.view_layer.objects:
        o.select_set(False)
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    bpy.ops.object.mode_set(mode="EDIT")
    for s in specs:
        eb = data.edit_bones.new(s.name)
        eb.head, eb.tail = s.head.tolist(), s.tail.tolist()
        eb.align_roll(s.roll_axis.tolist())
        if s.parent:
            eb.parent = data.edit_bones[s.parent]
            eb.use_connect = bool(np.allclose(eb.parent.tail, eb.head))
    bpy.ops.object.mode_set(mode="OBJECT")
    for bone, mode in (modes or {}).items():
        obj.pose.bones[bone].rotation_mode = mode
    return obj


def generate_rigify():
    """Rigify's human metarig generated into a rig (the metarig is removed); the rig is active."""
    import addon_utils
    import bpy
    addon_utils.enable("rigify", default_set=True)
    bpy.ops.object.armature_human_metarig_add()
    metarig = bpy.context.view_layer.objects.active
    bpy.ops.pose.rigify_generate()
    rig = bpy.context.view_layer.objects.active
    for o in bpy.context.view_layer.objects:
        o.select_set(False)
    bpy.data.objects.remove(metarig, do_unlink=True)
    bpy.context.view_layer.objects.active = rig
    rig.select_set(True)
    return rig


def evaluated(objects, frames) -> dict:
    """{object name: (frames, bones, 4, 4) world matrices of every pose bone} as Blender evaluates
    them frame by frame (constraints, drivers and all)."""
    import bpy
    scene = bpy.context.scene
    out = {o.name: np.empty((len(frames), len(o.pose.bones), 4, 4)) for o in objects}
    for k, f in enumerate(frames):
        scene.frame_set(int(f))
        for o in objects:
            w = np.array(o.matrix_world)
            out[o.name][k] = w @ np.array([np.array(pb.matrix) for pb in o.pose.bones])
    return out


def direction_errors(source, target, pairs: list[tuple[str, str]], frames) -> np.ndarray:
    """(frames, pairs) angle in degrees between each target bone's world direction and its source's."""
    from lib.retarget.rotations import angle_between
    world = evaluated([source, target], frames)
    s_idx = {pb.name: i for i, pb in enumerate(source.pose.bones)}
    t_idx = {pb.name: i for i, pb in enumerate(target.pose.bones)}
    return np.stack([angle_between(world[target.name][:, t_idx[t], :3, 1], world[source.name][:, s_idx[s], :3, 1])
                     for s, t in pairs], axis=1)


def snapshot_armature(obj) -> dict:
    """What a retarget must not change on the source (and, apart from its action, on the target)."""
    from importlib import import_module
    rigs = import_module("bl_ext.user_default.move_ai.core.retarget_rigs")
    anim = obj.animation_data
    curves = rigs.action_curves(anim.action, getattr(anim, "action_slot", None)) if anim and anim.action else []
    keys = {}
    for c in curves:
        co = np.empty(2 * len(c.keyframe_points), dtype=np.float32)
        c.keyframe_points.foreach_get("co", co)
        keys[(c.data_path, c.array_index)] = co.tobytes()
    return {"bones": [(b.name, tuple(b.head_local), tuple(b.tail_local)) for b in obj.data.bones],
            "constraints": sorted((pb.name, c.name) for pb in obj.pose.bones for c in pb.constraints),
            "object_constraints": [c.name for c in obj.constraints],
            "action": anim.action.name if anim and anim.action else None,
            "keys": keys, "matrix_world": tuple(map(tuple, obj.matrix_world))}
