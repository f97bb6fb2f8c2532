# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the add-on tests: the extension built with Blender's builder and installed the way
Blender installs it, a clean scene, movie strips of real videos, and a driver for modal operators
(`blender_harness.ModalRun`, shared with the benchmarks: it drives the real registered operator).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

assert "BLENDER_USER_RESOURCES" in os.environ, "conftest.py must set it before bpy is imported"
import bpy  # noqa: E402

from blender_harness import (MODULE, ROOT, ModalRun, StandInEvent, build_extension,  # noqa: E402,F401
                             install_addon, top_strips)

sys.path.insert(0, str(ROOT / "tools"))
import build_addon  # noqa: E402,F401  (the builder's other tools, for the install tests)

FakeEvent = StandInEvent  # the name the tests use for a stand-in event


@pytest.fixture(scope="session")
def addon_zip(tmp_path_factory) -> Path:
    """dist-like folder with move_ai-<version>.zip built (and validated) by Blender's own tool."""
    return build_extension(tmp_path_factory.mktemp("dist"))


def install(zip_path: Path):
    return install_addon(zip_path)


_INSTALLED: list = []  # each test module imports these fixtures anew; install once per process


@pytest.fixture(scope="session")
def installed_addon(addon_zip):
    if not _INSTALLED:
        _INSTALLED.append(install(addon_zip))
    yield _INSTALLED[0]
    # Unregister before the process exits: Blender 4.2 frees a panel class still registered at exit
    # after Python has finalized, and crashes (SpaceType destructor -> bpy_class_free).
    import addon_utils
    if MODULE in bpy.context.preferences.addons:
        addon_utils.disable(MODULE, default_set=True)


def enabled_addon():
    """The installed extension module, enabled again if an earlier test left it disabled, looked up
    afresh: a test that disables and enables the add-on gets new modules."""
    if MODULE not in bpy.context.preferences.addons:
        import addon_utils
        addon_utils.enable(MODULE, default_set=True)
    return sys.modules[MODULE]


@pytest.fixture
def addon(installed_addon):
    """The installed, enabled extension module (bl_ext.user_default.move_ai)."""
    return enabled_addon()


def prefs():
    return bpy.context.preferences.addons[MODULE].preferences


@pytest.fixture
def local_prefs(addon, local_server, tmp_path):
    """Preferences pointing at the local server, downloads into the test's folder; restored after."""
    p = prefs()
    saved = {k: getattr(p, k) for k in ("endpoint", "api_key", "import_format", "add_overlay",
                                         "timing_mode", "download_dir")}
    p.endpoint, p.api_key = local_server.endpoint, local_server.api_key  # the key is the endpoint's: endpoint first
    p.import_format, p.add_overlay, p.timing_mode = "fbx", False, "RETIME"
    p.download_dir = str(tmp_path / "downloads")
    yield p
    p = prefs()  # fetched again: a test that disables and enables the add-on frees the old ones
    for key, value in saved.items():
        setattr(p, key, value)


@pytest.fixture
def scene(addon):
    """An empty new file (the add-on stays enabled), 24 fps; no sessions left from other tests."""
    addon.core.sessions.stop_all()
    bpy.ops.wm.read_homefile(use_empty=True)
    sc = bpy.context.scene
    sc.render.fps, sc.render.fps_base = 24, 1.0
    yield sc
    addon.core.sessions.stop_all()


def strips_of(sc):
    editor = sc.sequence_editor
    if editor is None:
        return []
    return list(top_strips(editor))


def add_movie(sc, path, frame_start: int = 37, trim_start: int = 0, trim_end: int = 0, channel: int = 2):
    """A movie strip of `path`, made active, with its head and tail trimmed by whole frames."""
    editor = sc.sequence_editor or sc.sequence_editor_create()
    strip = top_strips(editor).new_movie(Path(path).stem, str(path), channel=channel, frame_start=frame_start)
    strip.frame_offset_start = trim_start
    strip.frame_offset_end = trim_end
    editor.active_strip = strip
    return strip


def snapshot(sc) -> dict:
    """What a user could see change in a scene: objects, actions, strips, job records, fps."""
    return {
        "objects": sorted(o.name for o in bpy.data.objects),
        "actions": sorted(a.name for a in bpy.data.actions),
        "strips": sorted((s.name, s.channel, s.frame_final_start, s.frame_final_end) for s in strips_of(sc)),
        "jobs": len(sc.move_ai.jobs),
        "fps": (sc.render.fps, sc.render.fps_base),
    }


def tick_until(driver: ModalRun, condition, timeout: float = 30.0) -> None:
    """Send TIMER events to a running modal operator until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, driver.reports
        assert driver.tick() == {"PASS_THROUGH"}, driver.reports
        time.sleep(0.02)


def capture_until_job(modal, scene):
    """Invoke Capture on the active strip and tick it until Move has given the job id:
    -> (driver, job record)."""
    capture = modal("MOVEAI_OT_capture")
    assert capture.invoke() == {"RUNNING_MODAL"}
    record = scene.move_ai.jobs[-1]
    tick_until(capture, lambda: record.job_id)
    return capture, record


@pytest.fixture
def dialogs_confirmed(addon, monkeypatch):
    """Dialogs shown and confirmed with OK at once: the bpy module has no window to draw them in
    (invoke_props_dialog crashes it). The list holds each operator that asked."""
    flow = sys.modules[MODULE + ".operators.flow"]
    asked: list = []

    def confirm(operator, context):
        asked.append(type(operator).bl_idname)
        return operator.after_confirm(context)  # what OK does (through execute(), which the harness wraps)

    monkeypatch.setattr(flow, "can_show_dialog", lambda: True)
    monkeypatch.setattr(flow, "show_dialog", confirm)
    return asked


@pytest.fixture
def modal(addon):
    """modal("MOVEAI_OT_capture") -> ModalRun of the registered operator; closed after the test."""
    drivers: list[ModalRun] = []

    def make(cls_name: str) -> ModalRun:
        drivers.append(ModalRun(cls_name))
        return drivers[-1]

    yield make
    for d in drivers:
        d.close()


def armature_keys(obj) -> list[float]:
    """Frames of the armature's keys (union over its f-curves), 4.2 and 5.0 actions alike."""
    from importlib import import_module
    importer = import_module(MODULE + ".core.importer")
    curves = importer.action_fcurves(obj.animation_data.action, getattr(obj.animation_data, "action_slot", None))
    return sorted({round(p.co.x, 4) for c in curves for p in c.keyframe_points})
