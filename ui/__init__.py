# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's interface: preferences, the "Move" sidebar panels (multicam among them) and the retarget panel."""

from ..core.registration import classes_factory
from . import multicam_panel, panels, preferences, retarget_panel

_register_classes, _unregister_classes = classes_factory(
    preferences.CLASSES + panels.CLASSES + multicam_panel.CLASSES + retarget_panel.CLASSES)


def register() -> None:
    _register_classes()
    retarget_panel.register_menu()
    multicam_panel.register_menu()


def unregister() -> None:
    multicam_panel.unregister_menu()
    retarget_panel.unregister_menu()
    _unregister_classes()
