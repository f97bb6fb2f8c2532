# SPDX-License-Identifier: GPL-3.0-or-later
"""moveai.capture_multicam: the selected movie strips (one per camera) become one multicam capture."""
from __future__ import annotations

from ..core import multicam
from ..lib.multicam_pipeline import MULTICAM_STEPS
from .flow import FlowOperator


class MOVEAI_OT_capture_multicam(FlowOperator):
    """Send the selected movie strips, one per camera, to Move as one multicam capture and import the skeleton"""
    bl_idname = "moveai.capture_multicam"
    bl_label = "Move: Capture Multicam (Selected Strips)"

    def make_session(self, context):
        record = multicam.record_from_selection(context)
        return multicam.start_multicam(context, record, MULTICAM_STEPS)


CLASSES = (MOVEAI_OT_capture_multicam,)
