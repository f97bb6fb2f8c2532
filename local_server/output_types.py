# SPDX-License-Identifier: GPL-3.0-or-later
"""How the schema's OutputType names become job outputs (key/format and file type), per ARCHITECTURE.md."""
from __future__ import annotations

# OutputType -> (key and format name, output file type with its leading dot)
OUTPUTS: dict[str, tuple[str, str]] = {
    "MAIN_FBX": ("fbx", ".fbx"),
    "MAIN_BLEND": ("blend", ".blend"),
    "MAIN_USDC": ("usdc", ".usdc"),
    "MAIN_USDZ": ("usdz", ".usdz"),
    "RENDER_VIDEO": ("mp4", ".mp4"),
    "RENDER_OVERLAY_VIDEO": ("render_overlay_mp4", ".mp4"),
    "MOTION_DATA": ("motion_data", ".zip"),
}

SINGLE_CAM_DEFAULTS = ["RENDER_VIDEO", "MAIN_FBX", "MAIN_USDC", "MAIN_USDZ", "MAIN_BLEND", "MOTION_DATA",
                       "RENDER_OVERLAY_VIDEO"]
MULTI_CAM_DEFAULTS = [o for o in SINGLE_CAM_DEFAULTS if o != "RENDER_OVERLAY_VIDEO"]
