# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's operators (moveai.*): the capture flow and its steps, multicam, retargeting, and small actions."""

from ..core.registration import classes_factory
from . import actions, console, flow, library, multicam, retarget

register, unregister = classes_factory(flow.CLASSES + actions.CLASSES + multicam.CLASSES + retarget.CLASSES
                                       + console.CLASSES + library.CLASSES)
