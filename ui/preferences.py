# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on preferences' page: the settings of `core.preferences`, drawn."""

import os

import bpy

from ..core.connection import CONNECTION
from .drawing import draw_job_options
from ..core.preferences import ADDON_ID, API_KEY_ENV, LOCAL_ENDPOINT, MovePreferences
from ..lib.credentials import DEFAULT_ENDPOINT


class MOVEAI_AddonPreferences(MovePreferences, bpy.types.AddonPreferences):
    bl_idname = ADDON_ID

    def draw(self, context):
        layout = self.layout
        col = layout.column()
        row = col.row()
        row.prop(self, "api_key")
        if os.environ.get(API_KEY_ENV):
            col.label(text=f"{API_KEY_ENV} is set and is used instead.", icon="INFO")
        col.prop(self, "endpoint")
        row = col.row(align=True)
        row.operator("moveai.use_endpoint", text="Move cloud").endpoint = DEFAULT_ENDPOINT
        row.operator("moveai.use_endpoint", text="Local server").endpoint = LOCAL_ENDPOINT
        row = col.row()
        row.operator("moveai.test_connection", icon="URL")
        if CONNECTION["text"]:
            row.label(text=str(CONNECTION["text"]), icon="CHECKMARK" if CONNECTION["ok"] else "ERROR")
        if not bpy.app.online_access:
            col.label(text="Online access is off: only a local server can be used "
                           "(System > Network > Allow Online Access).", icon="INFO")

        box = layout.box()
        box.label(text="Job defaults")
        draw_job_options(box, self.job_options)
        box = layout.box()
        box.label(text="Import")
        box.prop(self, "import_format", expand=True)
        box.prop(self, "timing_mode", expand=True)
        box.prop(self, "add_overlay")
        box.prop(self, "download_dir")


CLASSES = (MOVEAI_AddonPreferences,)
