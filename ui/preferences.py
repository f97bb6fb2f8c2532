# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on preferences: API key (stored with Blender's preferences, never in a .blend), endpoint,
default job options, import format, timing and download folder."""

import os

import bpy
from bpy.props import BoolProperty, EnumProperty, StringProperty

from ..lib.credentials import DEFAULT_ENDPOINT
from ..operators.actions import CONNECTION
from ..operators.settings import ADDON_ID, API_KEY_ENV, LOCAL_ENDPOINT
from ..operators.state import IMPORT_FORMATS, MOCAP_MODELS

TIMING_MODES = [
    ("RETIME", "Retime action",
     "Keep the scene's frame rate; move the keys to one per video frame, as the strip plays"),
    ("SCENE_FPS", "Set scene fps",
     "Set the scene's frame rate to the video's, so playback runs in real time"),
]


class MOVEAI_AddonPreferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_ID

    api_key: StringProperty(
        name="API key", subtype="PASSWORD",
        description=f"Your Move API key (Move's web app, API keys). The {API_KEY_ENV} environment "
                    "variable overrides it. Kept in Blender's preferences, never in a .blend file")  # type: ignore[valid-type]
    endpoint: StringProperty(
        name="Endpoint", default=DEFAULT_ENDPOINT,
        description="Move's GraphQL endpoint; a local Move-compatible server uses "
                    f"{LOCAL_ENDPOINT}")  # type: ignore[valid-type]
    mocap_model: EnumProperty(name="Model", items=MOCAP_MODELS, default="S2")  # type: ignore[valid-type]
    track_fingers: BoolProperty(name="Fingers", default=False)  # type: ignore[valid-type]
    track_ball: BoolProperty(name="Ball", default=False)  # type: ignore[valid-type]
    floor_plane: BoolProperty(name="Floor plane", default=True)  # type: ignore[valid-type]
    import_format: EnumProperty(name="Import", items=IMPORT_FORMATS, default="fbx")  # type: ignore[valid-type]
    add_overlay: BoolProperty(
        name="Overlay video",
        description="Also download Move's overlay video and add it above the source strip")  # type: ignore[valid-type]
    timing_mode: EnumProperty(name="Timing", items=TIMING_MODES, default="RETIME")  # type: ignore[valid-type]
    download_dir: StringProperty(
        name="Download folder", subtype="DIR_PATH",
        description="Where outputs are saved; empty: a move_ai folder beside the saved .blend file, "
                    "else the add-on's user folder")  # type: ignore[valid-type]

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
        row = box.row()
        row.prop(self, "mocap_model")
        row.prop(self, "track_fingers")
        row.prop(self, "track_ball")
        row.prop(self, "floor_plane")
        box = layout.box()
        box.label(text="Import")
        box.prop(self, "import_format", expand=True)
        box.prop(self, "timing_mode", expand=True)
        box.prop(self, "add_overlay")
        box.prop(self, "download_dir")


CLASSES = (MOVEAI_AddonPreferences,)
