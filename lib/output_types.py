# SPDX-License-Identifier: GPL-3.0-or-later
"""Job outputs by name: Move's OutputType names (MAIN_FBX), output keys (fbx) and the file
extension each one is saved with.

What a download may be: a file of the format the client asked for, saved under that format's
extension (.fbx, .blend, .usdc, .usdz, .glb, .mp4, .zip). The server's own file type or name
(`x.py`, `.exe`, `../x`) never chooses the extension; a name this table does not know is saved
as `.bin`, which nothing opens or runs by itself.
"""
from __future__ import annotations

# OutputType -> output key (the key and format the local server and ARCHITECTURE.md use)
OUTPUT_KEYS: dict[str, str] = {
    "MAIN_FBX": "fbx",
    "MAIN_BLEND": "blend",
    "MAIN_USDC": "usdc",
    "MAIN_USDZ": "usdz",
    "MAIN_GLB": "glb",
    "RENDER_VIDEO": "mp4",
    "RENDER_OVERLAY_VIDEO": "render_overlay_mp4",
    "MOTION_DATA": "motion_data",
}

# output key -> the extension its file is saved with
EXTENSIONS: dict[str, str] = {
    "fbx": ".fbx", "blend": ".blend", "usdc": ".usdc", "usdz": ".usdz", "glb": ".glb",
    "mp4": ".mp4", "render_overlay_mp4": ".mp4", "motion_data": ".zip",
}
UNKNOWN_EXTENSION = ".bin"


def output_key(name: str) -> str:
    """The output key for an OutputType name or a key: 'MAIN_FBX' -> 'fbx', 'FBX' -> 'fbx'."""
    wanted = str(name).strip()
    return OUTPUT_KEYS.get(wanted.upper(), wanted.lower())


def aliases(name: str) -> list[str]:
    """Every lower-case name an output asked for as `name` may carry as its key or format, the
    name itself first: 'MAIN_FBX' -> ['main_fbx', 'fbx']; 'fbx' -> ['fbx', 'main_fbx']."""
    wanted = str(name).strip().lower()
    key = output_key(wanted)
    names = [wanted, key] + [t.lower() for t, k in OUTPUT_KEYS.items() if k == key]
    return list(dict.fromkeys(names))


def extension_for(name: str) -> str:
    """The extension a download asked for as `name` is saved with: '.fbx' for 'fbx' or 'MAIN_FBX'."""
    return EXTENSIONS.get(output_key(name), UNKNOWN_EXTENSION)
