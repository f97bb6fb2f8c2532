# SPDX-License-Identifier: GPL-3.0-or-later
"""The download folder is full or cannot be written, in real Blender: a clear message saying what
to do, nothing half-imported, the job kept, and Import completing once the folder is usable.

A full disk is a tiny tmpfs filled to the brim and an unwritable folder a read-only tmpfs (root
ignores file permissions, so chmod would prove nothing here); both need mount rights.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from addon_fixtures import (add_movie, addon, addon_zip, installed_addon, local_prefs, modal,  # noqa: F401
                            scene)
from faults_fixtures import armatures, client_options, error_texts, panel_of  # noqa: F401

import bpy  # noqa: E402


def _mount(point: Path, options: str) -> None:
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {done.stderr.strip()}")


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs (the reference FBX output is ~0.5 MiB); unmounted after the test."""
    point = tmp_path / "disk"
    point.mkdir()
    _mount(point, "size=2m,mode=0777")
    yield point
    subprocess.run(["umount", "-l", str(point)], check=False)


def _fill(folder: Path, leave: int) -> Path:
    """Fill the file system, then give back `leave` bytes."""
    filler = folder / "filler.bin"
    with open(filler, "wb", buffering=0) as out:  # unbuffered: closing has nothing left to write
        try:
            while out.write(b"\0" * 4096):
                pass
        except OSError:
            pass
    os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def _no_final_output(folder: Path) -> None:
    if folder.exists():
        assert not [p for p in folder.iterdir() if p.suffix == ".fbx"], list(folder.iterdir())


def test_disk_full_reports_it_imports_nothing_and_import_works_once_space_is_free(
        scene, local_prefs, client_options, modal, small_disk, sample_video, local_server):
    folder = small_disk / "downloads"
    folder.mkdir()
    local_prefs.download_dir = str(folder)
    filler = _fill(small_disk, leave=100 * 1024)  # room for a part of the output, not all of it
    add_movie(scene, sample_video)
    capture = modal("MOVEAI_OT_capture")
    assert capture.run(timeout=60) == {"CANCELLED"}
    errors = error_texts(capture)
    assert len(errors) == 1, capture.reports
    assert "No space left on device" in errors[0] and str(folder) in errors[0], errors
    assert "Import" in errors[0] and "Errno" not in errors[0], errors  # says what to do, not how it broke
    record = scene.move_ai.jobs[-1]
    assert record.job_state == "FINISHED" and record.output_path == "" and not armatures()
    _no_final_output(folder)
    parts = list(folder.glob("*.part"))
    assert len(parts) == 1 and 0 < parts[0].stat().st_size < 200 * 1024  # the half that fitted
    assert panel_of(record)["buttons"].get("Import") == ("moveai.import_output", record.uid)

    filler.unlink()  # the user frees some space
    assert bpy.ops.moveai.import_output("EXEC_DEFAULT", job=record.uid) == {"FINISHED"}
    assert record.stage == "IMPORTED" and Path(record.output_path).parent == folder
    assert len(armatures()) == 1
    served = [p for p in local_server.data_dir.rglob("*.fbx") if record.job_id in p.parts]
    assert Path(record.output_path).read_bytes() == served[0].read_bytes()  # resumed, whole


def test_unwritable_download_folder_reports_it_and_imports_nothing(
        scene, local_prefs, client_options, modal, tmp_path, sample_video):
    point = tmp_path / "readonly"
    point.mkdir()
    _mount(point, "ro,size=2m")
    try:
        folder = point / "downloads"
        local_prefs.download_dir = str(folder)
        add_movie(scene, sample_video)
        capture = modal("MOVEAI_OT_capture")
        assert capture.run(timeout=60) == {"CANCELLED"}
        errors = error_texts(capture)
        assert len(errors) == 1, capture.reports
        assert "Read-only file system" in errors[0] and str(folder) in errors[0], errors
        assert "Errno" not in errors[0]
        record = scene.move_ai.jobs[-1]
        assert record.job_id and record.output_path == "" and not armatures()
        assert not folder.exists()
        subprocess.run(["mount", "-o", "remount,rw", str(point)], check=True)  # the user fixes it
        assert bpy.ops.moveai.import_output("EXEC_DEFAULT", job=record.uid) == {"FINISHED"}
        assert record.stage == "IMPORTED" and Path(record.output_path).parent == folder
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)
