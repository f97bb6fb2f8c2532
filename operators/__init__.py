# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's operators (moveai.*): the capture flow and its steps, and small actions."""

import bpy

from . import actions, flow

register, unregister = bpy.utils.register_classes_factory(flow.CLASSES + actions.CLASSES)
