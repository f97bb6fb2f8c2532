# SPDX-License-Identifier: GPL-3.0-or-later
"""The Blender step of an export, run as its own process: Motion (.npz) in, FBX/.blend/USD files out.

    python -m local_server.export.blender_build --motion M.npz --out-dir DIR --name NAME \
        --outputs MAIN_FBX,MAIN_BLEND,MAIN_USDC,MAIN_USDZ

    python -m local_server.export.blender_build --serve   # then one JSON line on stdin:
    {"motion": "M.npz", "out_dir": "DIR", "name": "NAME", "outputs": ["MAIN_FBX", ...]}

Only this process imports bpy, so the server never loads Blender. With `--serve` it loads Blender
first and then waits for its request, so the caller can start it before the motion exists. It prints
one JSON line, `RESULT {"files": {...}, "seconds": {...}}`, on success and exits non-zero with the
reason on stderr otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import bpy
import numpy as np

from ..motion import Motion
from ..rig import MOVE_BONES, bone_name
from . import BLENDER_OUTPUTS, FILE_SUFFIXES
from .body_mesh import build_body_mesh
from .pose_keys import pose_basis, root_location, scene_rate

ACTOR = 1


def _fresh_scene(motion: Motion, reset: bool = True) -> bpy.types.Scene:
    if reset:  # `--serve` resets while it waits for its request
        bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = scene_rate(motion.fps)
    scene.frame_start = 1
    scene.frame_end = motion.frame_count
    scene.frame_set(1)
    return scene


def _build_armature(scene: bpy.types.Scene) -> bpy.types.Object:
    """Move's whole rig in its T-pose; a child joins its parent when its head sits on the parent's tail."""
    data = bpy.data.armatures.new(f"Actor_{ACTOR}")
    obj = bpy.data.objects.new(f"Actor_{ACTOR}", data)
    scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    bpy.ops.object.mode_set(mode="EDIT")
    edit_bones = {}
    for bone in MOVE_BONES:
        eb = data.edit_bones.new(bone_name(bone.name, ACTOR))
        eb.head, eb.tail, eb.roll = bone.head, bone.tail, 0.0
        if bone.parent:
            parent = edit_bones[bone.parent]
            eb.parent = parent
            eb.use_connect = np.allclose(bone.head, parent.tail)
        edit_bones[bone.name] = eb
    bpy.ops.object.mode_set(mode="OBJECT")
    return obj


def _rest_quaternions(obj: bpy.types.Object) -> np.ndarray:
    return np.array([
        tuple(obj.data.bones[bone_name(b.name, ACTOR)].matrix_local.to_3x3().to_quaternion()) for b in MOVE_BONES
    ])


def _fill_fcurve(fcurve, frames: np.ndarray, values: np.ndarray) -> None:
    """All keys of one channel at once; keyframe_insert per key would take minutes for a long take."""
    points = fcurve.keyframe_points
    points.add(len(frames))
    points.foreach_set("co", np.column_stack([frames, values]).ravel().astype(np.float32))
    # One key per video frame: linear in-betweens keep sub-frame evaluation between the samples.
    points.foreach_set("interpolation", np.full(len(frames), _LINEAR, dtype=np.int32))
    fcurve.update()


_LINEAR = bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items["LINEAR"].value


def _animate(obj: bpy.types.Object, motion: Motion, name: str) -> bpy.types.Action:
    rest = _rest_quaternions(obj)
    basis = pose_basis(motion, MOVE_BONES, rest)
    location = root_location(motion, rest[0])
    frames = 1.0 + np.arange(motion.frame_count, dtype=np.float64)  # sample i on frame 1 + i

    obj.animation_data_create()
    action = bpy.data.actions.new(name)
    obj.animation_data.action = action  # Blender 5.0 gives the action a slot for this object
    for j, bone in enumerate(MOVE_BONES):
        full = bone_name(bone.name, ACTOR)
        obj.pose.bones[full].rotation_mode = "QUATERNION"
        path = f'pose.bones["{full}"]'
        for axis in range(4):
            fc = action.fcurve_ensure_for_datablock(obj, f"{path}.rotation_quaternion", index=axis, group_name=full)
            _fill_fcurve(fc, frames, basis[:, j, axis])
        if j == 0:
            for axis in range(3):
                fc = action.fcurve_ensure_for_datablock(obj, f"{path}.location", index=axis, group_name=full)
                _fill_fcurve(fc, frames, location[:, axis])
    action.use_fake_user = True  # keep the take even if the user unassigns it in the .blend
    return action


def _add_body(scene: bpy.types.Scene, armature: bpy.types.Object) -> bpy.types.Object:
    body = build_body_mesh()
    mesh = bpy.data.meshes.new(f"Actor_{ACTOR}_Body")
    mesh.from_pydata(body.vertices.tolist(), [], body.faces)
    mesh.update()
    obj = bpy.data.objects.new(f"Actor_{ACTOR}_Body", mesh)
    scene.collection.objects.link(obj)
    obj.parent = armature
    groups: dict[str, list[int]] = {}
    for i, owner in enumerate(body.bone_of_vertex):
        groups.setdefault(owner, []).append(i)
    for owner, indices in groups.items():
        obj.vertex_groups.new(name=bone_name(owner, ACTOR)).add(indices, 1.0, "REPLACE")
    modifier = obj.modifiers.new("Armature", "ARMATURE")
    modifier.object = armature
    material = bpy.data.materials.new("Actor_Body")
    material.diffuse_color = (0.8, 0.45, 0.2, 1.0)
    mesh.materials.append(material)
    return obj


def _write(output: str, path: Path) -> None:
    if output == "MAIN_FBX":
        bpy.ops.export_scene.fbx(
            filepath=str(path), object_types={"ARMATURE", "MESH"}, add_leaf_bones=False,
            bake_anim=True, bake_anim_use_nla_strips=False,
            bake_anim_simplify_factor=0.0,  # the default thins keys out; the contract is one key per frame
            bake_anim_force_startend_keying=True, use_armature_deform_only=False,
        )
    elif output in ("MAIN_USDC", "MAIN_USDZ"):
        bpy.ops.wm.usd_export(
            filepath=str(path), export_animation=True, export_armatures=True, export_materials=True,
            export_lights=False, export_cameras=False, selected_objects_only=False,
        )
    elif output == "MAIN_BLEND":
        bpy.ops.wm.save_as_mainfile(filepath=str(path), compress=False, copy=True)
    else:
        raise ValueError(f"not a Blender output: {output}")
    if not path.is_file() or path.stat().st_size == 0:
        raise RuntimeError(f"Blender wrote no {path.suffix} file")


def build(motion: Motion, out_dir: Path, name: str, outputs: list[str],
          reset: bool = True) -> tuple[dict[str, Path], dict[str, float]]:
    """Build the scene and write the outputs; `reset=False` when factory settings were just loaded."""
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    scene = _fresh_scene(motion, reset)
    armature = _build_armature(scene)
    _animate(armature, motion, f"{name}_Actor_{ACTOR}")
    _add_body(scene, armature)
    scene.frame_set(1)
    seconds["build_scene"] = time.perf_counter() - t0
    files = {}
    for output in outputs:
        t = time.perf_counter()
        path = Path(out_dir) / f"{name}{FILE_SUFFIXES[output]}"
        _write(output, path)
        files[output] = path
        seconds[output] = time.perf_counter() - t
    return files, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="read the request as one JSON line on stdin")
    parser.add_argument("--motion", type=Path)
    parser.add_argument("--out-dir", type=Path)
    parser.add_argument("--name")
    parser.add_argument("--outputs", help="comma-separated: " + ",".join(BLENDER_OUTPUTS))
    args = parser.parse_args(argv)
    if args.serve:
        bpy.ops.wm.read_factory_settings(use_empty=True)  # half a second, spent while the caller still works
        line = sys.stdin.readline()
        if not line.strip():
            return 0  # the caller closed without a request (its job failed first)
        request = json.loads(line)
        args.motion, args.out_dir = Path(request["motion"]), Path(request["out_dir"])
        args.name, args.outputs = request["name"], ",".join(request["outputs"])
    elif not (args.motion and args.out_dir and args.name and args.outputs):
        parser.error("--motion, --out-dir, --name and --outputs are needed without --serve")
    outputs = [o for o in args.outputs.split(",") if o]
    unknown = [o for o in outputs if o not in BLENDER_OUTPUTS]
    if unknown:
        print(f"not Blender outputs: {unknown}", file=sys.stderr)
        return 2
    motion = Motion.load(args.motion)
    files, seconds = build(motion, args.out_dir, args.name, outputs, reset=not args.serve)
    print("RESULT " + json.dumps({"files": {k: str(v) for k, v in files.items()}, "seconds": seconds}), flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # The files are written and closed; Blender's own teardown at exit (freeing every datablock and
    # module, 0.5-1.5 s on a busy machine) would only keep the job waiting.
    os._exit(code)
