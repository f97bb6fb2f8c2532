# SPDX-License-Identifier: GPL-3.0-or-later
"""A client for Blender's Python console, built from the add-on's preferences, whatever repository
the extension was installed into: `client = bpy.types.MOVEAI_OT_console_client.make()`."""
from __future__ import annotations

import bpy

from ..core import settings
from ..lib import MoveClient

CONSOLE_LINE = "client = bpy.types.MOVEAI_OT_console_client.make()"


class MOVEAI_OT_console_client(bpy.types.Operator):
    """Show the line that gives a Move client in Blender's Python console, with this add-on's endpoint, key and Online Access"""
    bl_idname = "moveai.console_client"
    bl_label = "Python Console Client"
    bl_description = ("Show the line that gives a Move client in Blender's Python console, with this "
                      "add-on's endpoint, key and Online Access")
    bl_options = {"REGISTER"}

    @staticmethod
    def make() -> MoveClient:
        """A client for the endpoint and key in the preferences; it respects Online Access as the
        operators do. Its calls block: fine in the console, never from a panel or timer."""
        try:
            return settings.make_client(bpy.context)
        except settings.SettingsProblem as exc:
            raise RuntimeError(str(exc)) from None

    def execute(self, context):
        context.window_manager.clipboard = CONSOLE_LINE
        self.report({"INFO"}, f"Copied to the clipboard, for the Python console: {CONSOLE_LINE}")
        return {"FINISHED"}


CLASSES = (MOVEAI_OT_console_client,)
