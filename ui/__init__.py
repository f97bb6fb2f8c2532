# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's interface: preferences and the "Move" sidebar panels."""

import bpy

from . import panels, preferences, retarget_panel

CLASSES = preferences.CLASSES + panels.CLASSES + retarget_panel.CLASSES


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    retarget_panel.register_menu()


def unregister() -> None:
    retarget_panel.unregister_menu()
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
