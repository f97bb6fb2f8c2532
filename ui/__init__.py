# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's interface: preferences and the "Move" sidebar panels."""

import bpy

from . import panels, preferences

register, unregister = bpy.utils.register_classes_factory(preferences.CLASSES + panels.CLASSES)
