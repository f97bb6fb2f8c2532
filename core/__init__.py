# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's Blender-side core: scene state, settings, capture sessions, watching saved jobs on load,
import, multicam state, and reading/writing rigs for retargeting.

Operators and panels call into it; it imports neither (see docs/ARCHITECTURE.md).
"""

from . import file_load, multicam_state, preferences, retarget_state, sessions, state


def register() -> None:
    preferences.register()
    state.register()
    multicam_state.register()
    retarget_state.register()
    file_load.register()


def unregister() -> None:
    file_load.unregister()
    sessions.unregister()
    retarget_state.unregister()
    multicam_state.unregister()
    state.unregister()
    preferences.unregister()
