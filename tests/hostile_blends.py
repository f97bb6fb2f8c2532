# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile .blend outputs for the output-safety tests, written by bpy in a process of their own.

Run as `python tests/hostile_blends.py OUT_DIR MARKER_DIR`: writes `clean.blend` and `clean.fbx` (a
capture and nothing else) and, each holding an animated armature
(what a capture is) and a mesh, plus one payload:
- `driver.blend`: a driver with a Python expression that writes MARKER_DIR/driver when evaluated;
- `text.blend`: a Text datablock set to register (runs when a file holding it is opened with Auto
  Run on) that writes MARKER_DIR/text; the armature points at it, so appending the armature brings it;
- `library.blend`: the mesh's material linked from OUT_DIR/library/shared.blend by absolute path.
A separate process, so that nothing of the payload is ever evaluated in the test's own Blender.

`GivenOutputTestProcessor` (a local-server test processor: `--processor
tests.hostile_blends:GivenOutputTestProcessor`) answers every job with the file named by the
MOVE_TEST_GIVEN_OUTPUT environment variable as its .blend output: a hostile server, end to end.
"""
from __future__ import annotations

import sys
from pathlib import Path

import os
import shutil

FILES = ("driver", "text", "library")
GIVEN_OUTPUT_ENV = "MOVE_TEST_GIVEN_OUTPUT"    # the .blend every job returns
GIVEN_FBX_ENV = "MOVE_TEST_GIVEN_FBX"          # the FBX every job returns, when set
GIVEN_OUTPUT_PROCESSOR = "tests.hostile_blends:GivenOutputTestProcessor"


class GivenOutputTestProcessor:
    """Test fixture processor: every requested output is a copy of the given file."""

    name = "given-output-test"
    supported_outputs = ["MAIN_FBX", "MAIN_BLEND"]

    def process(self, job, out_dir: Path, progress):
        from local_server.processors.base import ProcessorResult

        files = {}
        for output_type in job.outputs:
            if output_type == "MAIN_FBX" and os.environ.get(GIVEN_FBX_ENV):
                files[output_type] = Path(shutil.copyfile(os.environ[GIVEN_FBX_ENV], out_dir / "output.fbx"))
            else:
                files[output_type] = Path(shutil.copyfile(os.environ[GIVEN_OUTPUT_ENV], out_dir / "output.blend"))
        progress(100)
        return ProcessorResult(files=files, metadata={})


def _capture():
    """An armature keyed over 10 frames and a mesh, as a capture's output holds them."""
    import bpy
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.context.preferences.filepaths.use_scripts_auto_execute = False  # nothing runs while building
    scene = bpy.context.scene
    armature = bpy.data.objects.new("Actor_1", bpy.data.armatures.new("Actor_1"))
    scene.collection.objects.link(armature)
    bpy.context.view_layer.objects.active = armature
    bpy.ops.object.mode_set(mode="EDIT")
    bone = armature.data.edit_bones.new("Hips")
    bone.tail = (0.0, 0.0, 0.5)
    bpy.ops.object.mode_set(mode="OBJECT")
    for frame in range(1, 11):
        armature.location.x = frame / 10
        armature.keyframe_insert("location", frame=frame)
    mesh = bpy.data.objects.new("Actor_1_Body", bpy.data.meshes.new("Actor_1_Body"))
    mesh.parent = armature
    scene.collection.objects.link(mesh)
    return bpy, armature, mesh


def write_driver(out: Path, markers: Path) -> None:
    bpy, _armature, mesh = _capture()
    mesh["flag"] = 0.0
    driver = mesh.driver_add('["flag"]').driver
    driver.type = "SCRIPTED"
    driver.expression = f"__import__('pathlib').Path({str(markers / 'driver')!r}).write_text('ran') * 0"
    bpy.ops.wm.save_as_mainfile(filepath=str(out / "driver.blend"), compress=False)


def write_text(out: Path, markers: Path) -> None:
    bpy, armature, _mesh = _capture()
    text = bpy.data.texts.new("rig_ui.py")
    text.write(f"import pathlib\npathlib.Path({str(markers / 'text')!r}).write_text('ran')\n")
    text.use_module = True
    armature["ui_script"] = text  # an ID property: appending the armature brings the text along
    bpy.ops.wm.save_as_mainfile(filepath=str(out / "text.blend"), compress=False)


def write_library(out: Path) -> None:
    bpy, _armature, mesh = _capture()
    shared = out / "library" / "shared.blend"
    shared.parent.mkdir(exist_ok=True)
    material = bpy.data.materials.new("Shared")
    bpy.data.libraries.write(str(shared), {material})
    bpy.data.materials.remove(material)
    with bpy.data.libraries.load(str(shared), link=True, relative=False) as (_source, target):
        target.materials = ["Shared"]
    mesh.data.materials.append(target.materials[0])
    bpy.ops.wm.save_as_mainfile(filepath=str(out / "library.blend"), compress=True,  # 5.0: zstd
                                relative_remap=False)


def write_clean(out: Path) -> None:
    """A capture and nothing else, as .blend and as FBX (for the library tests)."""
    bpy, _armature, _mesh = _capture()
    bpy.ops.wm.save_as_mainfile(filepath=str(out / "clean.blend"), compress=False)
    bpy.ops.export_scene.fbx(filepath=str(out / "clean.fbx"), object_types={"ARMATURE", "MESH"},
                             add_leaf_bones=False)


def main(out: Path, markers: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_clean(out)
    write_driver(out, markers)
    write_text(out, markers)
    write_library(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve())
