# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's settings as the operators need them: a client, a download folder, job options."""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import bpy

from ..lib import ConfigError, MoveClient
from ..lib.credentials import check_endpoint, is_loopback_host
from .job_options import MoveJobOptions
from .preferences import (ADDON_ID, API_KEY_ENV, SettingsProblem, env_key_name, key_for,  # noqa: F401
                          preferences)

# Keyword arguments for every MoveClient the add-on makes: `timeout`, `transfer_timeout`,
# `retry_policy` (empty: the client's defaults). For scripts on slow links, and for tests.
CLIENT_OPTIONS: dict = {}


def api_key(prefs, endpoint: str | None = None) -> str:
    """The key for the endpoint (the configured one by default). Where a key may go: a key stored
    for one endpoint is never used for another. MOVE_API_KEY from the environment wins for Move's
    cloud only, MOVE_LOCAL_API_KEY for a server on this machine only (render farms, CI, the local
    server's own key)."""
    endpoint = prefs.endpoint if endpoint is None else endpoint
    env = env_key_name(endpoint)
    return (os.environ.get(env, "").strip() if env else "") or key_for(prefs, endpoint)


def online_access_policy():
    """The client's `allow_host`: Online Access as it is now (read here on the main thread; the
    worker threads that ask never touch bpy), loopback always."""
    online = bool(bpy.app.online_access)
    return lambda host: online or is_loopback_host(host)


def check_online_access(endpoint: str) -> None:
    """Blender's 'Allow Online Access' governs every host but this machine."""
    host = urlsplit(endpoint).hostname or ""
    if bpy.app.online_access or is_loopback_host(host):
        return
    raise SettingsProblem(
        f"Online access is turned off in Blender, so the add-on will not contact {host or endpoint}. "
        "Turn on Edit > Preferences > System > Network > Allow Online Access, or use a local server.")


def make_client(context=None) -> MoveClient:
    """A client for the configured endpoint and key; SettingsProblem (never quoting the key) if unusable."""
    prefs = preferences(context)
    try:
        endpoint = check_endpoint(prefs.endpoint)  # first: online access cannot fix a bad URL
        check_online_access(endpoint)
        options = {"allow_host": online_access_policy(), **CLIENT_OPTIONS}
        return MoveClient(api_key(prefs, endpoint), endpoint, **options)
    except ConfigError as exc:
        raise SettingsProblem(str(exc)) from None


def download_dir(context=None) -> Path:
    """The preference when set; else `move_ai/` beside the saved .blend; else the add-on's user folder."""
    prefs = preferences(context)
    if prefs.download_dir.strip():
        if prefs.download_dir.startswith("//") and not bpy.data.filepath:
            raise SettingsProblem("The download folder is relative to the .blend file, which was never "
                                  "saved. Save the file, or choose an absolute folder in the add-on "
                                  "preferences.")
        return Path(bpy.path.abspath(prefs.download_dir))
    if bpy.data.filepath:
        return Path(bpy.data.filepath).parent / "move_ai"
    return Path(bpy.utils.extension_path_user(ADDON_ID, path="downloads", create=True))


def job_options(context) -> MoveJobOptions:
    """The scene's options when it overrides them, else the preferences' defaults."""
    state = context.scene.move_ai
    return state.options if state.use_custom_options else preferences(context).job_options
