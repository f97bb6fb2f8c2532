# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's interface: preferences, the "Move" sidebar panels (multicam among them), the retarget
panel and the "Move AI" menus."""

from ..core.registration import classes_factory
from . import library_panel, menus, multicam_panel, panels, preferences, retarget_panel

_register_classes, _unregister_classes = classes_factory(
    preferences.CLASSES + panels.CLASSES + multicam_panel.CLASSES + retarget_panel.CLASSES
    + library_panel.CLASSES)


def register() -> None:
    _register_classes()
    menus.register()


def unregister() -> None:
    menus.unregister()
    _unregister_classes()
