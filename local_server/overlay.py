# SPDX-License-Identifier: GPL-3.0-or-later
"""Moved to `local_server.export.overlay`; this name stays only until processors/mediapipe.py imports from there.

processors/mediapipe.py belongs to the mocap branch, worked on at the same time; delete this file
once that branch's import reads `from ..export.overlay import write_overlay_video`.
"""
from .export.overlay import DEFAULT_EDGE_COLOR, draw_skeleton, write_overlay_video  # noqa: F401
