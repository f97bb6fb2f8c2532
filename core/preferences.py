# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on preferences' settings and their accessor; `ui/preferences.py` draws them.

The settings are a mixin so that the registered AddonPreferences class (in `ui/`, where its draw()
lives) and this accessor share one declaration; Blender reads the annotations of such mixins.
"""
from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, PointerProperty, StringProperty

from ..lib.credentials import DEFAULT_ENDPOINT
from .job_options import MoveJobOptions
from .state import IMPORT_FORMATS

ADDON_ID = __package__.rpartition(".")[0]  # bl_ext.user_default.move_ai when installed
API_KEY_ENV = "MOVE_API_KEY"
LOCAL_ENDPOINT = "http://127.0.0.1:8765/ugc/graphql"
TIMING_MODES = [
    ("RETIME", "Retime action",
     "Keep the scene's frame rate; move the keys to one per video frame, as the strip plays"),
    ("SCENE_FPS", "Set scene fps",
     "Set the scene's frame rate to the video's, so playback runs in real time"),
]


class SettingsProblem(Exception):
    """The settings do not allow the request; str() tells the user what to change."""


class MovePreferences:
    """The add-on's settings: API key (kept with Blender's preferences, never in a .blend), endpoint,
    default job options, import format, timing and download folder."""
    api_key: StringProperty(
        name="API key", subtype="PASSWORD",
        description=f"Your Move API key (Move's web app, API keys). The {API_KEY_ENV} environment "
                    "variable overrides it. Kept in Blender's preferences, never in a .blend file")
    endpoint: StringProperty(
        name="Endpoint", default=DEFAULT_ENDPOINT,
        description="Move's GraphQL endpoint; a local Move-compatible server uses "
                    f"{LOCAL_ENDPOINT}")
    job_options: PointerProperty(
        type=MoveJobOptions, name="Job defaults",
        description="The options sent with a job, unless the scene has its own")
    import_format: EnumProperty(
        name="Import", items=IMPORT_FORMATS, default="fbx",
        description="The output format to download and import")
    add_overlay: BoolProperty(
        name="Overlay video",
        description="Also download Move's overlay video and add it above the source strip")
    timing_mode: EnumProperty(
        name="Timing", items=TIMING_MODES, default="RETIME",
        description="How the imported animation is put in step with the strip")
    download_dir: StringProperty(
        name="Download folder", subtype="DIR_PATH",
        description="Where outputs are saved; empty: a move_ai folder beside the saved .blend file, "
                    "else the add-on's user folder")


def preferences(context=None) -> MovePreferences:
    """The add-on's preferences; SettingsProblem when the add-on is not enabled."""
    context = context or bpy.context
    addon = context.preferences.addons.get(ADDON_ID)
    if addon is None:
        raise SettingsProblem("The Move AI add-on is not enabled (Edit > Preferences > Add-ons).")
    return addon.preferences  # type: ignore[return-value]
