# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on in the bpy module for a benchmark: built with Blender's tool, installed as Blender
installs it (into a temporary user folder) and pointed at a local server; real modal operators are
driven with the tests' harness (tests/blender_harness.py: the bpy module has no event loop)."""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

# Before bpy is imported: Blender's user config goes to a fresh temporary folder (never the real
# one, nor one a test session shares), removed when the benchmark ends.
os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix="move-bench-blender-")
atexit.register(shutil.rmtree, os.environ["BLENDER_USER_RESOURCES"], True)

import bpy  # noqa: E402

from tests.blender_harness import MODULE, ModalRun, add_movie, build_extension, install_addon as _install  # noqa: E402,F401


def install_addon(work: Path):
    """Build the extension zip and install it with Blender's installer; returns the module."""
    if MODULE in sys.modules:
        return sys.modules[MODULE]
    return _install(build_extension(work / "dist"))


def configure(server, download_dir: Path, import_format: str = "fbx") -> None:
    prefs = bpy.context.preferences.addons[MODULE].preferences
    prefs.endpoint, prefs.api_key = server.endpoint, server.api_key
    prefs.import_format, prefs.add_overlay, prefs.timing_mode = import_format, False, "RETIME"
    prefs.download_dir = str(download_dir)


def empty_scene(fps: int = 24):
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = fps, 1.0
    return scene
