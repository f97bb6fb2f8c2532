# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on in the bpy module for a benchmark: built with Blender's tool, installed as Blender
installs it (into a temporary user folder), pointed at a local server, and a driver that runs a
real modal operator (the bpy module has no event loop: we call invoke() and modal() ourselves)."""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Before bpy is imported: Blender's user config goes to a fresh temporary folder (never the real
# one, nor one a test session shares), removed when the benchmark ends.
os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix="move-bench-blender-")
atexit.register(shutil.rmtree, os.environ["BLENDER_USER_RESOURCES"], True)

import bpy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODULE = "bl_ext.user_default.move_ai"


def install_addon(work: Path):
    """Build the extension zip and install it with Blender's installer; returns the module."""
    if MODULE in sys.modules:
        return sys.modules[MODULE]
    sys.path.insert(0, str(ROOT / "tools"))
    import build_addon
    zip_path = build_addon.build(work / "dist")
    result = bpy.ops.extensions.package_install_files(filepath=str(zip_path), repo="user_default",
                                                      enable_on_install=True)
    if result != {"FINISHED"}:
        raise RuntimeError(f"installing the add-on failed: {result}")
    return sys.modules[MODULE]


def configure(server, download_dir: Path, import_format: str = "fbx") -> None:
    prefs = bpy.context.preferences.addons[MODULE].preferences
    prefs.api_key, prefs.endpoint = server.api_key, server.endpoint
    prefs.import_format, prefs.add_overlay, prefs.timing_mode = import_format, False, "RETIME"
    prefs.download_dir = str(download_dir)


def empty_scene(fps: int = 24):
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = fps, 1.0
    return scene


def add_movie(scene, path: Path, frame_start: int = 1):
    editor = scene.sequence_editor or scene.sequence_editor_create()
    strips = editor.strips if hasattr(editor, "strips") else editor.sequences
    strip = strips.new_movie(Path(path).stem, str(path), channel=2, frame_start=frame_start)
    editor.active_strip = strip
    return strip


@dataclass
class TimerEvent:
    """Stands in for the window manager's event (type TIMER, as the modal timer sends)."""
    type: str = "TIMER"
    value: str = "NOTHING"


class ModalRun:
    """A real moveai operator run as from the UI: a registered subclass whose execute() calls the
    real invoke(), keeping the operator instance so that its real modal() can be given timer events."""

    def __init__(self, addon, cls_name: str):
        base = getattr(addon.operators.flow, cls_name)
        run = self
        self.instance = None
        self.invoked = None
        self.reports: list[tuple[str, str]] = []

        class Driven(base):
            bl_idname = "moveai_bench." + base.bl_idname.split(".", 1)[1]

            def execute(self, context):
                run.instance = self
                run.invoked = self.invoke(context, TimerEvent("LEFTMOUSE", "PRESS"))
                return run.invoked

            def report(self, type, message):
                run.reports.append((next(iter(type)), message))
                return super().report(type, message)

        Driven.__name__ = "MOVEAI_BENCH_OT_" + base.bl_idname.split(".", 1)[1]
        self.cls = Driven
        bpy.utils.register_class(Driven)
        self._op = getattr(bpy.ops.moveai_bench, Driven.bl_idname.split(".", 1)[1])

    def invoke(self) -> set:
        self._op("EXEC_DEFAULT")
        return self.invoked

    def modal(self) -> set:
        return self.instance.modal(bpy.context, TimerEvent())

    def close(self) -> None:
        bpy.utils.unregister_class(self.cls)
