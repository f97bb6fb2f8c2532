# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on preferences' page: the settings of `core.preferences`, drawn."""

import os

import bpy

from ..core.connection import CONNECTION
from .drawing import draw_job_options
from ..core.preferences import (ADDON_ID, API_KEYS_PAGE, LOCAL_ENDPOINT, MovePreferences, env_key_name)
from ..lib.credentials import DEFAULT_ENDPOINT


class MOVEAI_AddonPreferences(MovePreferences, bpy.types.AddonPreferences):
    bl_idname = ADDON_ID

    def draw(self, context):
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False
        col = layout.column()
        row = col.row(align=True)
        row.operator("moveai.use_endpoint", text="Move cloud").endpoint = DEFAULT_ENDPOINT
        row.operator("moveai.use_endpoint", text="Local server").endpoint = LOCAL_ENDPOINT
        col.prop(self, "endpoint")
        row = col.row(align=True)
        row.prop(self, "api_key")
        row.operator("wm.url_open", text="", icon="URL").url = API_KEYS_PAGE
        env = env_key_name(self.endpoint)
        if env and os.environ.get(env):
            col.label(text=f"{env} is set and is used instead, for this endpoint only.", icon="INFO")
        col.label(text="Each endpoint keeps its own key; a key goes only to the endpoint it was entered for.",
                  icon="LOCKED")
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
