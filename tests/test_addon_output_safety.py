# SPDX-License-Identifier: GPL-3.0-or-later
"""What an output may contain (issue 9, item 1): a hostile .blend output brings nothing that runs or
links, with Auto Run Python Scripts on and off, at import and in the file the user saves afterwards.

The hostile files are written by bpy in a process of its own (tests/hostile_blends.py); each payload
writes a marker file when it runs. Imports go through the user's Import button (moveai.import_output)
with the output on disk, and once end to end: Capture against a local server whose test processor
returns the hostile file as the job's .blend output. The bpy module has no event loop: the modal
Capture is driven by calling the real operator's modal() with stand-in timer events (ModalRun).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import bpy
import pytest

from addon_fixtures import (ROOT, add_movie, addon, addon_zip, installed_addon, local_prefs,  # noqa: F401
                            modal, scene)
from conftest import start_server
from hostile_blends import GIVEN_OUTPUT_ENV, GIVEN_OUTPUT_PROCESSOR

pytestmark = pytest.mark.skipif(bpy.app.version < (4, 2), reason="Blender 4.2 LTS or newer")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """(folder of driver.blend, text.blend, library.blend; folder the payloads write markers into)."""
    out = tmp_path_factory.mktemp("hostile")
    markers = tmp_path_factory.mktemp("markers")
    subprocess.run([sys.executable, str(ROOT / "tests" / "hostile_blends.py"), str(out), str(markers)],
                   check=True, capture_output=True, timeout=120)
    assert not list(markers.iterdir()), "a payload ran while its file was written"
    return out, markers


@pytest.fixture(params=[True, False], ids=["autorun-on", "autorun-off"])
def autorun(request):
    filepaths = bpy.context.preferences.filepaths
    saved = filepaths.use_scripts_auto_execute
    filepaths.use_scripts_auto_execute = request.param
    yield request.param
    filepaths.use_scripts_auto_execute = saved


def _record_for(scene, path: Path):
    """A finished job's record whose output is on disk, as after a download."""
    record = scene.move_ai.jobs.add()
    record.uid, record.strip_name, record.job_id, record.job_state = "hostile", "walk", "job-hostile", "FINISHED"
    record.stage, record.import_format = "DOWNLOADED", "blend"
    record.output_path, record.video_fps, record.strip_start = str(path), 24.0, 1
    return record


def _evaluate(scene) -> None:
    """What a redraw or playback does: evaluate the scene, drivers included, on a few frames."""
    for frame in (1, 5, 10):
        scene.frame_set(frame)
    bpy.context.view_layer.update()


def _python_drivers() -> list[str]:
    found = []
    for collection in (bpy.data.objects, bpy.data.meshes, bpy.data.armatures, bpy.data.materials):
        for block in collection:
            anim = block.animation_data
            found += [f"{block.name}{c.data_path}" for c in (anim.drivers if anim else ()) if c.driver.type == "SCRIPTED"]
    return found


def _save_and_reopen(tmp_path: Path) -> Path:
    """Save the user's file, then open it again trusting its scripts (the strongest case)."""
    path = tmp_path / "user_scene.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path), compress=False)
    bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False, use_scripts=True)
    return path


@pytest.mark.parametrize("payload", ["driver", "text"])
def test_code_in_a_blend_output_never_runs(scene, local_prefs, hostile, autorun, payload, tmp_path):
    folder, markers = hostile
    marker = markers / payload
    marker.unlink(missing_ok=True)
    record = _record_for(scene, folder / f"{payload}.blend")

    assert bpy.ops.moveai.import_output(job=record.uid) == {"FINISHED"}
    record = scene.move_ai.jobs[-1]
    assert record.stage == "IMPORTED" and bpy.data.objects["walk"].type == "ARMATURE"
    assert "walk Body" in bpy.data.objects  # the capture itself came in (its mesh named after the strip)
    _evaluate(scene)
    assert not marker.exists(), "the output's code ran at import"
    text = record.message

    path = _save_and_reopen(tmp_path)
    _evaluate(bpy.context.scene)
    assert not marker.exists(), "the output's code ran in the user's saved file"
    assert b"write_text" not in path.read_bytes()  # nothing of the payload is in the saved bytes
    assert not list(bpy.data.texts) and not _python_drivers()
    said = {"driver": "Dropped 1 driver with a Python expression",
            "text": "Left out 1 text (scripts)"}[payload]
    assert said in text, text


def test_blend_output_linking_other_files_is_refused(scene, local_prefs, hostile, autorun):
    """Refused before Blender reads it: appending would open the linked file's path (a network path
    on Windows sends the user's login to that host), so the add-on reads the file's blocks itself."""
    folder, _markers = hostile
    record = _record_for(scene, folder / "library.blend")
    objects_before = set(bpy.data.objects)
    with pytest.raises(RuntimeError, match="links data from other .blend files") as refused:
        bpy.ops.moveai.import_output(job=record.uid)
    assert "nothing of it was imported" in str(refused.value)
    assert set(bpy.data.objects) == objects_before
    assert not list(bpy.data.libraries) and not list(bpy.data.materials)
    assert scene.move_ai.jobs[-1].stage == "DOWNLOADED"  # the record is kept: import the FBX instead


def test_capture_end_to_end_drops_the_payload(scene, local_prefs, hostile, modal, sample_video, tmp_path,
                                              monkeypatch):
    """The whole user flow: Capture uploads, the server's job returns the hostile .blend, the add-on
    downloads and imports it; the driver is dropped and said so, and never runs with Auto Run on."""
    folder, markers = hostile
    (markers / "driver").unlink(missing_ok=True)
    bpy.context.preferences.filepaths.use_scripts_auto_execute = True
    monkeypatch.setenv(GIVEN_OUTPUT_ENV, str(folder / "driver.blend"))
    server = start_server(tmp_path / "server", "--processor", GIVEN_OUTPUT_PROCESSOR)
    try:
        local_prefs.endpoint, local_prefs.api_key = server.endpoint, server.api_key
        local_prefs.import_format = "blend"
        add_movie(scene, sample_video, 1)
        capture = modal("MOVEAI_OT_capture")
        assert capture.run(timeout=90) == {"FINISHED"}, capture.reports
    finally:
        server.stop()
        bpy.context.preferences.filepaths.use_scripts_auto_execute = False
    record = scene.move_ai.jobs[-1]
    assert record.stage == "IMPORTED", record.message
    _evaluate(scene)
    assert not (markers / "driver").exists(), "the output's driver ran"
    assert not _python_drivers()
    assert any("Dropped 1 driver with a Python expression" in text for _level, text in capture.reports)
