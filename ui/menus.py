# SPDX-License-Identifier: GPL-3.0-or-later
"""The "Move AI" submenu: in the Sequencer's Strip and strip context menus and the 3D Viewport's
Object > Animation menu, so that F3 (which searches menus) finds every Move AI operator."""
from __future__ import annotations

from typing import Any, cast

import bpy

from ..core.registration import classes_factory

# (operator idname, icon): in menu order. Operators other parts of the add-on may not register
# (yet) are drawn only when they exist: an unknown idname would draw an error line.
ENTRIES = [
    ("moveai.capture", "ARMATURE_DATA"),
    ("moveai.capture_multicam", "OUTLINER_OB_CAMERA"),
    ("moveai.import_output", "IMPORT"),
    ("moveai.poll_job", "PLAY"),
    ("moveai.rerun_job", "FILE_REFRESH"),
    ("moveai.import_job", "IMPORT"),
    ("moveai.retarget", "ARMATURE_DATA"),
    ("moveai.cancel_poll", "CANCEL"),
    None,
    ("moveai.test_connection", "URL"),
]
HOST_MENUS = ("SEQUENCER_MT_strip", "SEQUENCER_MT_context_menu", "VIEW3D_MT_object_animation")


def operator_class_name(idname: str) -> str:
    """`moveai.import_job` -> `MOVEAI_OT_import_job`, the name Blender registers it under."""
    prefix, name = idname.split(".", 1)
    return f"{prefix.upper()}_OT_{name}"


class MOVEAI_MT_menu(bpy.types.Menu):
    """Move AI: capture a strip, import, watch and re-run jobs"""
    bl_idname = "MOVEAI_MT_menu"
    bl_label = "Move AI"

    def draw(self, context):
        if self.layout is None:
            return
        layout = cast(Any, self.layout)  # the stubs want each icon as a literal; ENTRIES holds them as str
        layout.operator_context = "INVOKE_DEFAULT"
        for entry in ENTRIES:
            if entry is None:
                layout.separator()
            elif hasattr(bpy.types, operator_class_name(entry[0])):
                layout.operator(entry[0], icon=entry[1])


def draw_submenu(self, context) -> None:
    """Appended to each host menu."""
    self.layout.separator()
    self.layout.menu(MOVEAI_MT_menu.bl_idname, icon="ARMATURE_DATA")


_register_classes, _unregister_classes = classes_factory((MOVEAI_MT_menu,))


def register() -> None:
    _register_classes()
    for name in HOST_MENUS:
        host = getattr(bpy.types, name, None)
        if host is not None:
            host.append(draw_submenu)


def unregister() -> None:
    for name in HOST_MENUS:
        host = getattr(bpy.types, name, None)
        if host is not None:
            host.remove(draw_submenu)
    _unregister_classes()
