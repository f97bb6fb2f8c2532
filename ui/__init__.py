# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's interface: preferences, the "Move" sidebar panels and the "Move AI" menus."""

from ..core.registration import classes_factory
from . import menus, panels, preferences

_register_classes, _unregister_classes = classes_factory(preferences.CLASSES + panels.CLASSES)


def register() -> None:
    _register_classes()
    menus.register()


def unregister() -> None:
    menus.unregister()
    _unregister_classes()
