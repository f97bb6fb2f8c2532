# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's Blender-side core: scene state, settings, capture sessions, watching saved jobs on load, import.

Operators and panels call into it; it imports neither (see docs/ARCHITECTURE.md).
"""

from . import file_load, preferences, sessions, state


def register() -> None:
    preferences.register()
    state.register()
    file_load.register()


def unregister() -> None:
    file_load.unregister()
    sessions.unregister()
    state.unregister()
    preferences.unregister()
