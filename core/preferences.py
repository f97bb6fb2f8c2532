# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on preferences' settings and their accessor; `ui/preferences.py` draws them.

The settings are a mixin so that the registered AddonPreferences class (in `ui/`, where its draw()
lives) and this accessor share one declaration; Blender reads the annotations of such mixins.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import bpy
from bpy.props import BoolProperty, CollectionProperty, EnumProperty, PointerProperty, StringProperty

from ..lib import ConfigError
from ..lib.credentials import DEFAULT_ENDPOINT, endpoint_identity, is_loopback_host
from .connection import clear as clear_connection
from .job_options import MoveJobOptions
from .registration import classes_factory
from .state import IMPORT_FORMATS

ADDON_ID = __package__.rpartition(".")[0]  # bl_ext.user_default.move_ai when installed
API_KEY_ENV = "MOVE_API_KEY"              # a key for Move's cloud endpoint only
LOCAL_API_KEY_ENV = "MOVE_LOCAL_API_KEY"  # a key for a server on this machine only (the local server's own)
LOCAL_ENDPOINT = "http://127.0.0.1:8765/ugc/graphql"
API_KEYS_PAGE = "https://dev.move.ai"  # Move's developer dashboard: "API" makes keys (developers.move.ai/docs/authentication)
TIMING_MODES = [
    ("RETIME", "Retime action",
     "Keep the scene's frame rate; move the keys to one per video frame, as the strip plays"),
    ("SCENE_FPS", "Set scene fps",
     "Set the scene's frame rate to the video's, so playback runs in real time"),
]


class SettingsProblem(Exception):
    """The settings do not allow the request; str() tells the user what to change."""


class EndpointKey(bpy.types.PropertyGroup):
    """One API key and the endpoint it was entered for (where a key may go: only there)."""
    endpoint: StringProperty(name="Endpoint", description="The endpoint's identity (scheme://host:port)")
    key: StringProperty(name="API key", subtype="PASSWORD",
                        description="The API key entered for this endpoint; never sent anywhere else")


def env_key_name(endpoint: str) -> str:
    """The environment variable that may override the key of `endpoint`, or '' for none: MOVE_API_KEY
    only for Move's cloud, MOVE_LOCAL_API_KEY only for this machine, nothing for any other server
    (a key in the environment must not follow the endpoint setting to whatever host it names)."""
    try:
        identity = endpoint_identity(endpoint)
    except ConfigError:
        return ""
    if identity == endpoint_identity(DEFAULT_ENDPOINT):
        return API_KEY_ENV
    return LOCAL_API_KEY_ENV if is_loopback_host(urlsplit(identity).hostname or "") else ""


def _slot(prefs, endpoint: str, create: bool = False):
    """The key slot of an endpoint (None if it has none and `create` is False)."""
    try:
        identity = endpoint_identity(endpoint)
    except ConfigError:
        identity = endpoint.strip()
    for slot in prefs.api_keys:
        if slot.endpoint == identity:
            return slot
    if not create:
        return None
    slot = prefs.api_keys.add()
    slot.endpoint = identity
    return slot


def key_for(prefs, endpoint: str) -> str:
    """The key stored for `endpoint` ('' when none was entered for it)."""
    slot = _slot(prefs, endpoint)
    return slot.key if slot is not None else ""


def _get_api_key(self) -> str:
    return key_for(self, self.endpoint)


def _set_api_key(self, value: str) -> None:
    _slot(self, self.endpoint, create=True).key = value
    clear_connection()


def _endpoint_changed(self, _context) -> None:
    clear_connection()


class MovePreferences:
    """The add-on's settings: one API key per endpoint (kept with Blender's preferences, never in a
    .blend), the endpoint, default job options, import format, timing and download folder."""
    api_keys: CollectionProperty(
        type=EndpointKey, name="API keys",
        description="One API key per endpoint: switching the endpoint switches the key")
    api_key: StringProperty(
        name="API key", subtype="PASSWORD", get=_get_api_key, set=_set_api_key,
        description=f"Your Move API key for this endpoint (Move's web app, API keys). Switching the endpoint "
                    f"switches the key; a key is only ever sent to the endpoint it was entered for. "
                    f"{API_KEY_ENV} overrides it for Move's cloud, {LOCAL_API_KEY_ENV} for a local server. "
                    "Kept in Blender's preferences, never in a .blend file")
    endpoint: StringProperty(
        name="Endpoint", default=DEFAULT_ENDPOINT, update=_endpoint_changed,
        description="Move's GraphQL endpoint; a local Move-compatible server uses "
                    f"{LOCAL_ENDPOINT}. Each endpoint keeps its own API key")
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


register, unregister = classes_factory((EndpointKey,))


def preferences(context=None) -> MovePreferences:
    """The add-on's preferences; SettingsProblem when the add-on is not enabled."""
    context = context or bpy.context
    addon = context.preferences.addons.get(ADDON_ID)
    if addon is None:
        raise SettingsProblem("The Move AI add-on is not enabled (Edit > Preferences > Add-ons).")
    return addon.preferences  # type: ignore[return-value]
