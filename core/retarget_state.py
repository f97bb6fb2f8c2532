# SPDX-License-Identifier: GPL-3.0-or-later
"""What the Retarget panel keeps in the .blend: the chosen rigs, options and the editable mapping.

The mapping lives on the scene (`scene.move_ai_retarget.pairs`) rather than in operator properties:
it is edited row by row in a list, survives a save, and the Retarget operator reads it when called
with preset="MAPPING", so a script can fill it too.
"""
from __future__ import annotations

import bpy
from bpy.props import BoolProperty, CollectionProperty, EnumProperty, IntProperty, PointerProperty, StringProperty

ROOT_MOTION_ITEMS = [
    ("HIPS", "Hips", "The hips carry the travel, scaled by the ratio of the legs' lengths"),
    ("ROOT", "Root", "Horizontal travel moves the target's root bone (or the object when it has none); "
                     "the hips keep the height"),
    ("IN_PLACE", "In Place", "Horizontal travel is dropped; the hips keep the height"),
]

_PRESET_ITEMS: list = []  # Blender keeps pointers into the item strings: hold them here


def preset_items(self, context):
    from .retarget_rigs import available_presets
    items = [("AUTO", "Auto", "Find the preset from the target's bone names"),
             ("MAPPING", "Mapping Below", "The mapping as edited in this panel")]
    seen = {"AUTO", "MAPPING"}
    for p in reversed(available_presets()):  # a user preset named like a built-in one replaces it
        if p.name not in seen:
            seen.add(p.name)
            items.insert(2, (p.name, p.name + ("" if p.builtin else " (user)"), p.description or p.name))
    _PRESET_ITEMS[:] = items
    return _PRESET_ITEMS


def _is_armature(self, obj) -> bool:
    return obj.type == "ARMATURE"


class MoveRetargetPair(bpy.types.PropertyGroup):
    """One row of the mapping: this source bone drives that target bone."""
    role: StringProperty(name="Role", description="Body part (e.g. upper_arm.L); empty for a pair added by hand")
    source: StringProperty(name="Source Bone", description="Bone of the animated (Move) armature")
    target: StringProperty(name="Target Bone", description="Bone of your armature that follows it")


class MoveRetargetSettings(bpy.types.PropertyGroup):
    source: PointerProperty(name="Source", type=bpy.types.Object, poll=_is_armature,
                            description="The animated armature to copy from (default: the latest imported job)")
    target: PointerProperty(name="Target", type=bpy.types.Object, poll=_is_armature,
                            description="Your character's armature (default: the active armature)")
    preset: EnumProperty(name="Preset", items=preset_items,
                         description="Bone naming of the target rig")
    root_motion: EnumProperty(name="Root Motion", items=ROOT_MOTION_ITEMS, default="HIPS",
                              description="Where the capture's travel goes on the target")
    foot_lock: BoolProperty(name="Foot Lock", default=False,
                            description="Keep feet that are planted in the source still on the target")
    use_current_pose: BoolProperty(
        name="Match Current Pose", default=False,
        description="Take the target's current pose, not its rest, as the pose that matches the source's "
                    "T-pose (for rigs whose rest is neither T nor A)")
    pairs: CollectionProperty(type=MoveRetargetPair, description="The bone mapping: source bone -> target bone")
    active_pair: IntProperty(description="The selected row of the mapping")
    preset_name: StringProperty(name="Preset Name", default="My Rig",
                                 description="Name under which Save Preset keeps the mapping")


CLASSES = (MoveRetargetPair, MoveRetargetSettings)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.move_ai_retarget = PointerProperty(type=MoveRetargetSettings)  # type: ignore[attr-defined]


def unregister() -> None:
    del bpy.types.Scene.move_ai_retarget  # type: ignore[attr-defined]
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
