# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender side of retargeting: read the source's animation and the target rig into arrays for
lib/retarget, and write the result as a new action of F-curves (one key per frame).

The source is never changed: its F-curves are read (evaluated per frame) and its forward kinematics
done in numpy, so no frame is ever set on the scene. The target gets a new action and nothing else:
no constraint, no helper bone; its previous action keeps a fake user so it stays in the file.
"""
from __future__ import annotations

import re
from pathlib import Path

import bpy
import numpy as np

from ..lib.retarget import presets as presets_lib
from ..lib.retarget.rotations import rotation_channels
from ..lib.retarget.skeleton import basis_matrices, forward_kinematics
from ..lib.retarget.solve import Result, SourceMotion, TargetRig

ADDON_PACKAGE = __package__.rsplit(".", 1)[0]  # bl_ext.<repo>.move_ai
MOVE_BONE = re.compile(r"^_\d+:Hips$")
ROTATION_PATHS = {"QUATERNION": ("rotation_quaternion", 4), "AXIS_ANGLE": ("rotation_axis_angle", 4)}


class RetargetProblem(Exception):
    """The retarget cannot run; str() is for the user and says what to do."""


# -- finding the rigs --------------------------------------------------------------------------------

def latest_imported_armature(scene):
    """The armature of the newest job record whose import left an armature in the scene."""
    for record in reversed(list(getattr(getattr(scene, "move_ai", None), "jobs", []))):
        obj = bpy.data.objects.get(record.imported_object) if record.imported_object else None
        if obj is not None and obj.type == "ARMATURE" and obj.name in scene.objects:
            return obj
    return None


def is_move_rig(obj) -> bool:
    return obj is not None and obj.type == "ARMATURE" and any(MOVE_BONE.match(b.name) for b in obj.data.bones)


def default_source(context):
    """The latest imported job's armature, else an animated Move-rig armature in the scene."""
    found = latest_imported_armature(context.scene)
    if found is not None:
        return found
    rigs = [o for o in context.scene.objects if is_move_rig(o)]
    animated = [o for o in rigs if o.animation_data and o.animation_data.action]
    return (animated or rigs or [None])[0]


def default_target(context, source=None):
    obj = context.active_object
    if obj is not None and obj.type == "ARMATURE" and obj != source:
        return obj
    return None


def armature(name: str, what: str):
    obj = bpy.data.objects.get(name)
    if obj is None:
        raise RetargetProblem(f"There is no object named {name!r} for the {what}.")
    if obj.type != "ARMATURE":
        raise RetargetProblem(f"The {what} {name!r} is a {obj.type.lower()}, not an armature.")
    return obj


# -- presets ---------------------------------------------------------------------------------------

def user_presets_dir(create: bool = False) -> Path | None:
    """The extension's user folder for presets (kept across updates of the add-on); made only when
    a preset is saved, not by listing."""
    try:
        return Path(bpy.utils.extension_path_user(ADDON_PACKAGE, path="retarget_presets", create=create))
    except (ValueError, OSError):  # not installed as an extension (e.g. run from a checkout)
        return None


def available_presets() -> list[presets_lib.Preset]:
    return presets_lib.all_presets(user_presets_dir())


def _resolve_named(obj, preset_name: str, what: str):
    names = [b.name for b in obj.data.bones]
    every = available_presets()
    if preset_name.upper() == "AUTO":
        preset = presets_lib.detect(names, every)
        if preset is None:
            raise RetargetProblem(
                f"No preset fits the bone names of the {what} {obj.name!r} (its hips, arms and legs were not "
                f"found under any preset's names). Choose a preset, or edit the mapping in the Retarget panel.")
    else:
        preset = presets_lib.find_preset(preset_name, every)
        if preset is None:
            raise RetargetProblem(f"There is no retarget preset named {preset_name!r}. Presets: AUTO, MAPPING, "
                                  + ", ".join(p.name for p in every) + ".")
    resolved = presets_lib.resolve(preset, names)
    missing = [preset.bones[r] for r in presets_lib.REQUIRED_ROLES if r in preset.bones and r not in resolved]
    if missing:
        raise RetargetProblem(f"The {what} {obj.name!r} lacks bones the {preset.name} preset needs: "
                              f"{', '.join(missing)}. Choose another preset or edit the mapping.")
    return preset, resolved


def mapping(source, target, preset_name: str, scene=None):
    """(pairs, target preset or None, the target's resolved roles) for a preset name, "AUTO", or
    "MAPPING" (the pairs edited in the Retarget panel)."""
    if preset_name.upper() == "MAPPING":
        settings = getattr(scene, "move_ai_retarget", None)
        rows = list(settings.pairs) if settings is not None else []
        if not rows:
            raise RetargetProblem("The mapping in the Retarget panel is empty: load a preset into it first.")
        pairs = [presets_lib.Pair(r.role, r.source, r.target) for r in rows if r.source and r.target]
        detected = presets_lib.detect([b.name for b in target.data.bones], available_presets())
        roles = presets_lib.resolve(detected, [b.name for b in target.data.bones]) if detected else {}
        return pairs, detected, roles
    _, source_roles = _resolve_named(source, "AUTO", "source")
    preset, target_roles = _resolve_named(target, preset_name, "target")
    pairs = presets_lib.pairs_between(source_roles, target_roles, [b.name for b in source.data.bones])
    return pairs, preset, target_roles


# -- reading ---------------------------------------------------------------------------------------

def action_curves(action, slot=None) -> list:
    """F-curves of an action: 4.4+ layered actions keep them in channelbags, 4.2 on the action."""
    if getattr(action, "is_action_layered", False) or not hasattr(action, "fcurves"):
        return [c for layer in action.layers for strip in layer.strips for bag in strip.channelbags
                if slot is None or bag.slot == slot for c in bag.fcurves]
    return list(action.fcurves)


def _parent_first(bones) -> list:
    ordered, seen = [], set()

    def visit(b):
        if b.name in seen:
            return
        if b.parent is not None:
            visit(b.parent)
        seen.add(b.name)
        ordered.append(b)

    for b in bones:
        visit(b)
    return ordered


def _matrix(m) -> np.ndarray:
    return np.array(m, dtype=np.float64)


def frame_span(obj) -> tuple[int, int]:
    anim = obj.animation_data
    if anim is None or anim.action is None:
        raise RetargetProblem(f"The source {obj.name!r} has no action to retarget.")
    action = anim.action
    if len(getattr(action, "slots", ())) <= 1:  # one slot: the action's own range is this armature's
        first, last = action.curve_frame_range
        if last - first > 1.0:  # (a one-key action reports one frame more than it has)
            return int(round(first)), int(round(last))
    curves = [c for c in action_curves(action, getattr(anim, "action_slot", None)) if len(c.keyframe_points)]
    if not curves:
        raise RetargetProblem(f"The source's action {action.name!r} has no keyframes.")
    first = min(c.keyframe_points[0].co.x for c in curves)
    last = max(c.keyframe_points[-1].co.x for c in curves)
    return int(round(first)), int(round(last))


def _curve_values(curve, frames: np.ndarray) -> np.ndarray:
    points = curve.keyframe_points
    if len(points) == len(frames):  # one key per frame: read the values in one call
        co = np.empty(2 * len(points), dtype=np.float32)
        points.foreach_get("co", co)
        if np.max(np.abs(co[0::2] - frames)) < 1e-3:
            return co[1::2].astype(np.float64)
    return np.array([curve.evaluate(float(f)) for f in frames])


def read_source(obj, context, moving: set[str] | None = None) -> tuple[SourceMotion, np.ndarray]:
    """The source's bones in world space on every frame of its action, and those frames.

    Directions need only rotations; the location curves are read for the bones in `moving` and
    their parents (the hips for root motion; None: every bone, for foot lock's ankle positions).
    Bone scale is taken as it is now (reading F-curves is most of the retarget's time)."""
    first, last = frame_span(obj)
    frames = np.arange(first, last + 1, dtype=np.float64)
    anim = obj.animation_data
    curves = {(c.data_path, c.array_index): c
              for c in action_curves(anim.action, getattr(anim, "action_slot", None))}
    bones = _parent_first(obj.data.bones)
    names = [b.name for b in bones]
    parents = [names.index(b.parent.name) if b.parent else -1 for b in bones]
    rest = np.stack([_matrix(b.matrix_local) for b in bones])
    if moving is not None:
        wanted = set()
        for name in moving:
            bone = obj.data.bones.get(name)
            while bone is not None:
                wanted.add(bone.name)
                bone = bone.parent
        moving = wanted
    basis = np.empty((len(frames), len(bones), 4, 4))
    by_mode: dict[str, list[int]] = {}
    channels: list[list[np.ndarray]] = []
    for i, bone in enumerate(bones):
        pb = obj.pose.bones[bone.name]
        prefix = f'pose.bones["{bpy.utils.escape_identifier(bone.name)}"].'
        by_mode.setdefault(pb.rotation_mode, []).append(i)
        rot_path, rot_size = ROTATION_PATHS.get(pb.rotation_mode, ("rotation_euler", 3))
        values = []
        for prop, size in (("location", 3), (rot_path, rot_size), ("scale", 3)):
            current = list(getattr(pb, prop))
            v = np.empty((len(frames), size))
            read = prop == rot_path or (prop == "location" and (moving is None or bone.name in moving))
            for k in range(size):
                curve = curves.get((prefix + prop, k)) if read else None
                v[:, k] = _curve_values(curve, frames) if curve is not None else current[k]
            values.append(v)
        channels.append(values)
    for mode, members in by_mode.items():  # one batched conversion per rotation mode
        loc, rot, scale = (np.stack([channels[i][c] for i in members], axis=1) for c in range(3))
        basis[:, members] = basis_matrices(loc, rot, scale, mode)
    world_matrix = _matrix(obj.matrix_world)
    pose = world_matrix @ forward_kinematics(rest, parents, basis)
    fps = context.scene.render.fps / context.scene.render.fps_base
    return SourceMotion(names, pose, world_matrix @ rest, fps), frames


FOLLOWING = {"COPY_TRANSFORMS", "CHILD_OF", "COPY_ROTATION", "ARMATURE"}


def _follows(obj, pose_bone, names: dict[str, int], parent: int) -> list[tuple[int, float]]:
    """What this bone's transform comes from, weighted: its parent, then each world-space constraint
    that copies another bone of this armature at influence w taking w of it, in stack order. A
    local-space copy of a bone the retarget does not key is a constant: the bone stays with its
    parent. `pose_bone` is the evaluated one, so driven influences (IK/FK switches) are current."""
    weights = [(parent, 1.0)]
    for con in pose_bone.constraints:
        if con.type not in FOLLOWING or con.mute or con.influence <= 0.0:
            continue
        if con.type == "ARMATURE":
            target, sub = (con.targets[0].target, con.targets[0].subtarget) if len(con.targets) else (None, "")
        else:
            if getattr(con, "owner_space", "WORLD") != "WORLD" or getattr(con, "target_space", "WORLD") != "WORLD":
                continue
            target, sub = con.target, getattr(con, "subtarget", "")
        if target is not None and target.original == obj and sub in names and sub != pose_bone.name:
            w = min(1.0, con.influence)
            weights = [(j, x * (1 - w)) for j, x in weights if x * (1 - w) > 1e-6] + [(names[sub], w)]
    return weights


def _set_properties(obj, properties: dict[str, float]) -> dict[str, float]:
    """Set pose-bone custom properties given as data paths; returns the values they had."""
    old = {}
    for path, value in properties.items():
        match = re.match(r'pose\.bones\["(.+?)"\]\["(.+?)"\]$', path)
        if match and match[1] in obj.pose.bones and match[2] in obj.pose.bones[match[1]]:
            pb = obj.pose.bones[match[1]]
            old[path] = pb[match[2]]
            pb[match[2]] = value
    return old


def read_target(obj, context, properties: dict[str, float] | None = None) -> TargetRig:
    """The target's rest, its current evaluated pose (constraints included) and its local values.

    `properties` (a preset's switches, e.g. Rigify's IK/FK) are set while the rig is read, as the
    new action will key them, and put back after: which bone follows which depends on them."""
    old = _set_properties(obj, properties or {})
    try:
        if old:
            obj.update_tag()  # custom properties set from Python do not tag the depsgraph themselves
        context.view_layer.update()
        evaluated = obj.evaluated_get(context.evaluated_depsgraph_get())
        bones = _parent_first(obj.data.bones)
        names = [b.name for b in bones]
        w = _matrix(obj.matrix_world)
        pose_bones = evaluated.pose.bones
        parents = [names.index(b.parent.name) if b.parent else -1 for b in bones]
        index = {n: i for i, n in enumerate(names)}
        follows = [_follows(obj, pose_bones[n], index, parents[i]) for i, n in enumerate(names)]
        return TargetRig(
            names, parents,
            w @ np.stack([_matrix(b.matrix_local) for b in bones]),
            w @ np.stack([_matrix(pose_bones[n].matrix) for n in names]),
            np.stack([_matrix(obj.pose.bones[n].matrix_basis) for n in names]),
            w, follows)
    finally:
        if old:
            _set_properties(obj, old)
            obj.update_tag()
            context.view_layer.update()


# -- writing ---------------------------------------------------------------------------------------

class _Curves:
    """Makes F-curves on a new action: in its slot's channelbag (4.4+) or on the action (4.2)."""

    def __init__(self, obj, action):
        anim = obj.animation_data
        self.bag = None
        if hasattr(anim, "action_slot"):
            if anim.action_slot is None:
                anim.action_slot = action.slots.new(id_type="OBJECT", name=obj.name)
            from bpy_extras import anim_utils
            self.bag = anim_utils.action_ensure_channelbag_for_slot(  # type: ignore[attr-defined]  # 4.4+
                action, anim.action_slot)
        self.action = action

    def new(self, path: str, index: int, group: str):
        if self.bag is not None:
            return self.bag.fcurves.new(path, index=index, group_name=group)
        return self.action.fcurves.new(path, index=index, action_group=group)


def _key(curves: _Curves, path: str, group: str, frames: np.ndarray, values: np.ndarray) -> int:
    """One key per frame on each channel of `values` (frames x channels); returns the key count."""
    co = np.empty(2 * len(frames), dtype=np.float32)
    co[0::2] = frames
    for k in range(values.shape[1]):
        curve = curves.new(path, k, group)
        curve.keyframe_points.add(len(frames))
        co[1::2] = values[:, k]
        curve.keyframe_points.foreach_set("co", co)
        curve.update()  # handles fitted to the keys: smooth and editable as hand-set keys
    return values.shape[1] * len(frames)


def write_action(target, source, result: Result, frames: np.ndarray, properties: dict[str, float]):
    """A new action on the target holding the result; the previous action is kept (fake user)."""
    anim = target.animation_data or target.animation_data_create()
    previous = anim.action
    if previous is not None:
        previous.use_fake_user = True  # not overwritten, and still in the file after a save
    action = bpy.data.actions.new(f"{target.name} from {source.name}")
    anim.action = action
    curves = _Curves(target, action)
    keys = 0
    by_mode: dict[str, list[str]] = {}
    for name in result.rotations:
        by_mode.setdefault(target.pose.bones[name].rotation_mode, []).append(name)
    channels = {}
    for mode, names in by_mode.items():  # one batched conversion per rotation mode
        prop, values = rotation_channels(np.stack([result.rotations[n] for n in names], axis=1), mode)
        channels.update({n: (prop, values[:, k]) for k, n in enumerate(names)})
    for name in result.rotations:
        prefix = f'pose.bones["{bpy.utils.escape_identifier(name)}"].'
        prop, values = channels[name]
        keys += _key(curves, prefix + prop, name, frames, values)
        if name in result.locations:
            keys += _key(curves, prefix + "location", name, frames, result.locations[name])
    if result.object_offsets is not None:
        base = np.array(target.location, dtype=np.float64)
        keys += _key(curves, "location", "Object Transforms", frames, base + result.object_offsets)
    ends = np.array([frames[0], frames[-1]])
    for path, value in properties.items():
        match = re.match(r'pose\.bones\["(.+?)"\]\["(.+?)"\]$', path)
        if match and match[1] in target.pose.bones and match[2] in target.pose.bones[match[1]]:
            keys += _key(curves, path, match[1], ends, np.full((2, 1), value))
    return action, keys
