# SPDX-License-Identifier: GPL-3.0-or-later
"""Why an operator cannot run now, for its poll() and poll_message_set (empty: it can).

Cheap enough for every redraw: no network, no client made; one stat of the strip's video.
"""
from __future__ import annotations

from ..lib.credentials import check_endpoint
from ..lib.errors import ConfigError
from ..lib.strips import StripProblem, video_path
from . import sessions, settings
from .multicam import capture_running_text
from .multicam_plan import camera_count_problem, selected_camera_strips
from .state import latest_record
from .strips import active_movie_strip, strip_facts


def settings_problem(context) -> str:
    """A reason when the add-on is disabled, the endpoint cannot be used, or it has no API key (the
    endpoint first: a key is kept per endpoint, so a bad endpoint would read as a missing key)."""
    try:
        prefs = settings.preferences(context)
    except settings.SettingsProblem as exc:
        return str(exc)
    try:
        check_endpoint(prefs.endpoint)
    except ConfigError as exc:
        return str(exc)
    if not settings.api_key(prefs).strip():
        return ("No Move API key is set. Paste your key in Edit > Preferences > Add-ons > Move AI "
                "(Move's web app, under API keys).")
    return ""


def strip_problem(context) -> str:
    """A reason when the active strip cannot be sent (none, not a movie, file missing...)."""
    try:
        video_path(strip_facts(active_movie_strip(context.scene)))
    except StripProblem as exc:
        return str(exc)
    return ""


def strip_busy(context) -> str:
    """A reason when a job of the active strip is still being made or watched."""
    editor = context.scene.sequence_editor
    strip = editor.active_strip if editor is not None else None
    if strip is None:
        return ""
    running = sessions.session_for_strip(context.scene.name, strip.name)
    if running is None:
        return ""
    return (f"Strip {strip.name!r} is already being captured: {sessions.describe(running)} is in "
            "progress. Wait for it, or use Re-run for another job on the same take.")


def capture_refusal(context) -> str:
    """Why Capture (or Upload) cannot run for the active strip now."""
    return strip_problem(context) or settings_problem(context) or strip_busy(context)


def multicam_refusal(context) -> str:
    """Why Capture Multicam cannot run now: no key, fewer than two camera strips selected, or a
    capture of these very strips already running (the full check of the strips runs on press)."""
    scene = context.scene
    return (settings_problem(context) or camera_count_problem(scene)
            or capture_running_text(scene, {s.name for s in selected_camera_strips(scene)}))


def record_missing(context, need: str, lacking: str = "", what: str = "") -> str:
    """A reason when no job record of the scene has `need` (and lacks `lacking`)."""
    if context.scene is None or latest_record(context.scene, need, lacking) is None:
        return (f"No job in this scene has {what or need} yet. Run Capture (or the steps before "
                "this one) first.")
    return ""
