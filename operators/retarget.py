# SPDX-License-Identifier: GPL-3.0-or-later
"""Retarget operators: bake a Move animation onto the user's own armature, and edit/save mappings."""
from __future__ import annotations

import time

import bpy
from bpy.props import BoolProperty, EnumProperty, StringProperty

from ..core import retarget_rigs as rigs
from ..core import retarget_state
from ..lib.retarget import presets as presets_lib
from ..lib.retarget.solve import Options, retarget


def _armature_names(self, context, edit_text):
    return [o.name for o in bpy.data.objects if o.type == "ARMATURE" and edit_text.lower() in o.name.lower()]


def _preset_names(self, context, edit_text):
    return [n for n in ["AUTO", "MAPPING"] + [p.name for p in rigs.available_presets()]
            if edit_text.lower() in n.lower()]


class MOVEAI_OT_retarget(bpy.types.Operator):
    """Bake the source armature's animation onto the target armature as a new action (one key per frame)"""
    bl_idname = "moveai.retarget"
    bl_label = "Retarget Move Animation"
    bl_description = ("Bake a Move animation onto your character's armature as a new action, one key per "
                      "frame; the source and the target's previous action are kept")
    bl_options = {"REGISTER", "UNDO"}

    source: StringProperty(name="Source", description="Animated armature to copy from (empty: the latest "
                           "imported job's armature)", search=_armature_names)
    target: StringProperty(name="Target", description="Armature to animate (empty: the active armature)",
                           search=_armature_names)
    preset: StringProperty(name="Preset", default="AUTO", search=_preset_names,
                           description="The target's bone naming: AUTO finds it from the bone names, MAPPING "
                                       "uses the mapping edited in the Retarget panel")
    root_motion: EnumProperty(name="Root Motion", items=retarget_state.ROOT_MOTION_ITEMS, default="HIPS",
                              description="Where the capture's travel goes on the target")
    foot_lock: BoolProperty(name="Foot Lock", default=False,
                            description="Keep feet planted in the source still on the target "
                                        "(legs bent by two-bone IK)")
    use_current_pose: BoolProperty(name="Match Current Pose", default=False,
                                   description="Use the target's current pose instead of its rest as the pose "
                                               "matching the source's T-pose")

    def execute(self, context):
        started = time.perf_counter()
        try:
            source = rigs.armature(self.source, "source") if self.source else rigs.default_source(context)
            if source is None:
                raise rigs.RetargetProblem("No source armature: import a finished Move job first, or name one.")
            target = rigs.armature(self.target, "target") if self.target else rigs.default_target(context, source)
            if target is None:
                raise rigs.RetargetProblem("No target armature: select your character's armature (make it active) "
                                           "or name it as the target.")
            if target == source:
                raise rigs.RetargetProblem(f"{source.name!r} is both the source and the target; choose another target.")
            pairs, preset, target_roles = rigs.mapping(source, target, self.preset, context.scene)
            presets_lib.check_pairs(pairs, [b.name for b in source.data.bones], [b.name for b in target.data.bones],
                                    source.name, target.name)
            hips = [p.source for p in pairs if p.role == "hips"]
            motion, frames = rigs.read_source(source, context, None if self.foot_lock else set(hips))
            properties = preset.properties if preset else {}
            rig = rigs.read_target(target, context, properties)
            options = Options(root_motion=self.root_motion, foot_lock=self.foot_lock,
                              match_current_pose=self.use_current_pose, root_bone=target_roles.get("root", ""))
            result = retarget(motion, rig, pairs, options)
            action, keys = rigs.write_action(target, source, result, frames, properties)
        except (rigs.RetargetProblem, presets_lib.MappingProblem) as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        locked = f", {len(result.contacts)} foot contacts locked" if self.foot_lock else ""
        self.report({"INFO"}, f"Retargeted {source.name!r} onto {target.name!r}: action {action.name!r}, "
                              f"{len(result.rotations)} bones, frames {int(frames[0])}-{int(frames[-1])} "
                              f"({keys} keys){locked} in {time.perf_counter() - started:.2f} s.")
        return {"FINISHED"}


def _settings(context):
    return context.scene.move_ai_retarget


class MOVEAI_OT_retarget_load_mapping(bpy.types.Operator):
    """Fill the mapping list from the chosen preset (or the one found from the bone names)"""
    bl_idname = "moveai.retarget_load_mapping"
    bl_label = "Load Retarget Mapping"
    bl_description = "Fill the Retarget panel's bone mapping from the chosen preset, to check or edit it"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        s = _settings(context)
        source = s.source or rigs.default_source(context)
        target = s.target or rigs.default_target(context, source)
        if source is None or target is None:
            self.report({"ERROR"}, "Choose a source and a target armature first.")
            return {"CANCELLED"}
        preset = "AUTO" if s.preset == "MAPPING" else s.preset
        try:
            pairs, found, _ = rigs.mapping(source, target, preset, context.scene)
        except rigs.RetargetProblem as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        s.pairs.clear()
        for p in pairs:
            row = s.pairs.add()
            row.role, row.source, row.target = p.role, p.source, p.target
        s.preset = "MAPPING"
        self.report({"INFO"}, f"{len(pairs)} bone pairs from the {found.name if found else preset} preset.")
        return {"FINISHED"}


class MOVEAI_OT_retarget_pair_add(bpy.types.Operator):
    """Add a row to the retarget mapping"""
    bl_idname = "moveai.retarget_pair_add"
    bl_label = "Add Retarget Pair"
    bl_description = "Add a source bone -> target bone row to the retarget mapping"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        s = _settings(context)
        s.pairs.add()
        s.active_pair = len(s.pairs) - 1
        return {"FINISHED"}


class MOVEAI_OT_retarget_pair_remove(bpy.types.Operator):
    """Remove the selected row of the retarget mapping"""
    bl_idname = "moveai.retarget_pair_remove"
    bl_label = "Remove Retarget Pair"
    bl_description = "Remove the selected row from the retarget mapping"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        s = _settings(context)
        if 0 <= s.active_pair < len(s.pairs):
            s.pairs.remove(s.active_pair)
            s.active_pair = min(s.active_pair, len(s.pairs) - 1)
        return {"FINISHED"}


class MOVEAI_OT_retarget_save_preset(bpy.types.Operator):
    """Save the edited mapping as your own preset"""
    bl_idname = "moveai.retarget_save_preset"
    bl_label = "Save Retarget Preset"
    bl_description = "Save the Retarget panel's mapping as a preset of your own, listed beside the built-in ones"

    name: StringProperty(name="Name", description="Preset name (empty: the name typed in the panel)")

    def execute(self, context):
        s = _settings(context)
        name = (self.name or s.preset_name).strip()
        folder = rigs.user_presets_dir(create=True)
        if not name or folder is None:
            self.report({"ERROR"}, "Type a preset name." if not name else
                        "The add-on's user folder is not available (is it installed as an extension?).")
            return {"CANCELLED"}
        # Rows with a role are saved by role, so the preset works with any source the add-on recognises.
        bones = {r.role or presets_lib.CUSTOM + r.source: r.target for r in s.pairs if r.target}
        if not bones:
            self.report({"ERROR"}, "The mapping is empty: load a preset into it first.")
            return {"CANCELLED"}
        path = presets_lib.save_user_preset(folder, presets_lib.Preset(name, bones, "Saved from the Retarget panel",
                                                                       builtin=False))
        self.report({"INFO"}, f"Saved retarget preset {name!r} ({len(bones)} bones) to {path}.")
        return {"FINISHED"}


CLASSES = (MOVEAI_OT_retarget, MOVEAI_OT_retarget_load_mapping, MOVEAI_OT_retarget_pair_add,
           MOVEAI_OT_retarget_pair_remove, MOVEAI_OT_retarget_save_preset)
