# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's operators (moveai.*), its scene state and the sessions that run its network work."""
from __future__ import annotations

import bpy

from . import actions, flow, retarget, session, state

CLASSES = flow.CLASSES + actions.CLASSES


def register() -> None:
    state.register()
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    session.register()
    retarget.register()


def unregister() -> None:
    retarget.unregister()
    session.unregister()
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
    state.unregister()
