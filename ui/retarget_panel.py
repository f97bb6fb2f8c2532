# SPDX-License-Identifier: GPL-3.0-or-later
"""The Retarget panel ("Move" tab of the 3D Viewport): rigs, preset, editable mapping, options."""
from __future__ import annotations

import bpy


class MOVEAI_UL_retarget_pairs(bpy.types.UIList):
    """Mapping rows: source bone -> target bone, each picked from its armature's bones."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0, flt_flag=0):
        s = context.scene.move_ai_retarget
        row = layout.row(align=True)
        if s.source is not None:
            row.prop_search(item, "source", s.source.data, "bones", text="")
        else:
            row.prop(item, "source", text="")
        row.label(text="", icon="FORWARD")
        if s.target is not None:
            row.prop_search(item, "target", s.target.data, "bones", text="")
        else:
            row.prop(item, "target", text="")


class MOVEAI_PT_retarget(bpy.types.Panel):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Move"
    bl_label = "Retarget"
    bl_idname = "MOVEAI_PT_retarget"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        s = getattr(context.scene, "move_ai_retarget", None)
        if layout is None or s is None:
            return
        col = layout.column(align=True)
        col.prop(s, "source", icon="ARMATURE_DATA")
        col.prop(s, "target", icon="ARMATURE_DATA")
        if s.source is None or s.target is None:
            layout.label(text="Empty: latest imported job -> active armature", icon="INFO")
        row = layout.row(align=True)
        row.prop(s, "preset", text="")
        row.operator("moveai.retarget_load_mapping", text="", icon="IMPORT")
        if s.preset == "MAPPING":
            row = layout.row()
            row.template_list("MOVEAI_UL_retarget_pairs", "", s, "pairs", s, "active_pair", rows=6)
            side = row.column(align=True)
            side.operator("moveai.retarget_pair_add", text="", icon="ADD")
            side.operator("moveai.retarget_pair_remove", text="", icon="REMOVE")
            save = layout.row(align=True)
            save.prop(s, "preset_name", text="")
            save.operator("moveai.retarget_save_preset", text="Save Preset", icon="FILE_TICK").name = s.preset_name
        col = layout.column()
        col.prop(s, "root_motion")
        col.prop(s, "foot_lock")
        col.prop(s, "use_current_pose")
        op = layout.operator("moveai.retarget", text="Retarget", icon="ARMATURE_DATA")
        op.source = s.source.name if s.source else ""
        op.target = s.target.name if s.target else ""
        op.preset = s.preset
        op.root_motion = s.root_motion
        op.foot_lock = s.foot_lock
        op.use_current_pose = s.use_current_pose


CLASSES = (MOVEAI_UL_retarget_pairs, MOVEAI_PT_retarget)
