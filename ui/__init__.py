# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's interface: preferences and the "Move" sidebar panels."""

from ..core.registration import classes_factory
from . import library_panel, panels, preferences

register, unregister = classes_factory(preferences.CLASSES + panels.CLASSES + library_panel.CLASSES)
