# SPDX-License-Identifier: GPL-3.0-or-later
"""Renders one ground-truth clip of `clips.py`: a humanoid on Rigify's metarig, each joint's true 3D
position recorded per frame.

Run in the bpy environment: `python -m benchmarks.mocap.scene OUT_DIR CLIP`. Writes OUT_DIR/frames/*.png,
OUT_DIR/truth.npz and OUT_DIR/clip.mp4 (25 fps, 640x480). The figure has a face, hair and clothes
colours because MediaPipe reads a faceless figure as seen from behind and swaps left and right.
"""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np

from .clips import CLIPS, FPS, Clip

WIDTH, HEIGHT = 640, 480
LENS_MM, SENSOR_MM = 50.0, 36.0
CAMERA_LOCATION = (0.0, -5.2, 1.05)

#: Joints recorded as truth: name -> (bone, "head" | "tail").
TRUTH_JOINTS = {
    "LeftShoulder": ("upper_arm.L", "head"), "RightShoulder": ("upper_arm.R", "head"),
    "LeftElbow": ("forearm.L", "head"), "RightElbow": ("forearm.R", "head"),
    "LeftWrist": ("hand.L", "head"), "RightWrist": ("hand.R", "head"),
    "LeftHip": ("thigh.L", "head"), "RightHip": ("thigh.R", "head"),
    "LeftKnee": ("shin.L", "head"), "RightKnee": ("shin.R", "head"),
    "LeftAnkle": ("foot.L", "head"), "RightAnkle": ("foot.R", "head"),
    "LeftToe": ("toe.L", "tail"), "RightToe": ("toe.R", "tail"),
    "Neck": ("spine.004", "head"), "Head": ("spine.006", "head"),
}

ORDER = ["spine.001", "spine.002", "spine.003", "upper_arm.L", "forearm.L", "upper_arm.R", "forearm.R",
         "thigh.L", "shin.L", "thigh.R", "shin.R"]


def _slerp_dir(a, b, t):
    a = np.asarray(a, float) / np.linalg.norm(a)
    b = np.asarray(b, float) / np.linalg.norm(b)
    ang = math.acos(max(-1.0, min(1.0, float(a @ b))))
    if ang < 1e-6:
        return a
    return (math.sin((1 - t) * ang) * a + math.sin(t * ang) * b) / math.sin(ang)


def pose_at(clip: Clip, frame: int) -> dict:
    for (f0, p0), (f1, p1) in zip(clip.keys, clip.keys[1:]):
        if f0 <= frame <= f1:
            t = (frame - f0) / (f1 - f0)
            t = t * t * (3 - 2 * t)  # ease in and out like an animator's default curve
            return {k: _slerp_dir(p0[k], p1[k], t) for k in p0}
    return clip.keys[-1][1]


def _interp(keys: list, frame: int) -> np.ndarray:
    """Linear interpolation of (frame, value) keys, held at the ends."""
    frames = [k[0] for k in keys]
    values = np.array([np.atleast_1d(k[1]) for k in keys], float)
    return np.array([np.interp(frame, frames, values[:, i]) for i in range(values.shape[1])])


def _material(bpy, name, rgb):
    mat = bpy.data.materials.new(name)
    mat.diffuse_color = (*rgb, 1.0)
    return mat


def _parent_to_bone(obj, arm, bone_name):
    from mathutils import Matrix

    bone = arm.data.bones[bone_name]
    world = obj.matrix_world.copy()
    obj.parent = arm
    obj.parent_type = "BONE"
    obj.parent_bone = bone_name
    obj.matrix_parent_inverse = (arm.matrix_world @ bone.matrix_local @ Matrix.Translation((0, bone.length, 0))).inverted()
    obj.matrix_world = world


def _limb(bpy, arm, bone_name, radius, mat, end_sphere=True):
    from mathutils import Vector

    bone = arm.data.bones[bone_name]
    head, tail = Vector(bone.head_local), Vector(bone.tail_local)
    axis = tail - head
    bpy.ops.mesh.primitive_cylinder_add(vertices=16, radius=radius, depth=axis.length, location=(head + tail) / 2)
    cyl = bpy.context.object
    cyl.rotation_mode = "QUATERNION"
    cyl.rotation_quaternion = Vector((0, 0, 1)).rotation_difference(axis.normalized())
    cyl.data.materials.append(mat)
    bpy.context.view_layer.update()
    _parent_to_bone(cyl, arm, bone_name)
    if end_sphere:
        bpy.ops.mesh.primitive_uv_sphere_add(segments=16, ring_count=8, radius=radius * 1.02, location=head)
        ball = bpy.context.object
        ball.data.materials.append(mat)
        _parent_to_bone(ball, arm, bone_name)


def _blob(bpy, arm, bone_name, location, scale, mat, kind="sphere"):
    if kind == "sphere":
        bpy.ops.mesh.primitive_uv_sphere_add(segments=24, ring_count=12, radius=1.0, location=location)
    elif kind == "cone":
        bpy.ops.mesh.primitive_cone_add(vertices=12, radius1=1.0, depth=1.0, location=location,
                                        rotation=(math.radians(90), 0, 0))
    else:
        bpy.ops.mesh.primitive_cube_add(size=2.0, location=location)
    obj = bpy.context.object
    obj.scale = scale
    obj.data.materials.append(mat)
    bpy.context.view_layer.update()
    _parent_to_bone(obj, arm, bone_name)
    return obj


def build_scene(bpy):
    import addon_utils

    bpy.ops.wm.read_factory_settings(use_empty=True)
    try:
        addon_utils.enable("rigify", default_set=True)
    except Exception:  # noqa: BLE001 - the metarig operator is registered even when the prefs lookup fails
        pass
    bpy.ops.object.armature_human_metarig_add()
    arm = bpy.context.object
    arm.name = "Truth"
    m = {n: _material(bpy, n, c) for n, c in {
        "skin": (0.80, 0.58, 0.44), "shirt": (0.12, 0.32, 0.75), "pants": (0.18, 0.18, 0.22),
        "shoes": (0.10, 0.06, 0.04), "hair": (0.18, 0.09, 0.03), "eye": (0.95, 0.95, 0.95),
        "pupil": (0.02, 0.02, 0.02), "lips": (0.65, 0.15, 0.15), "floor": (0.55, 0.55, 0.50)}.items()}
    bpy.ops.object.mode_set(mode="OBJECT") if bpy.context.mode != "OBJECT" else None

    for side in ("L", "R"):
        _limb(bpy, arm, f"upper_arm.{side}", 0.052, m["shirt"])
        _limb(bpy, arm, f"forearm.{side}", 0.042, m["skin"])
        _limb(bpy, arm, f"hand.{side}", 0.036, m["skin"])
        _limb(bpy, arm, f"thigh.{side}", 0.078, m["pants"])
        _limb(bpy, arm, f"shin.{side}", 0.058, m["pants"])
        bone = arm.data.bones[f"foot.{side}"]
        x = bone.head_local.x
        _blob(bpy, arm, f"foot.{side}", (x, -0.04, 0.045), (0.05, 0.12, 0.045), m["shoes"], kind="cube")
        _limb(bpy, arm, f"shoulder.{side}", 0.05, m["shirt"], end_sphere=False)
    _blob(bpy, arm, "spine.002", (0, 0.01, 1.36), (0.18, 0.12, 0.22), m["shirt"])  # chest
    _blob(bpy, arm, "spine.001", (0, 0.02, 1.18), (0.15, 0.11, 0.14), m["shirt"])  # belly
    _blob(bpy, arm, "spine", (0, 0.03, 1.03), (0.17, 0.12, 0.12), m["pants"])  # pelvis
    _limb(bpy, arm, "spine.004", 0.05, m["skin"])  # neck
    head_c = (0.0, -0.02, 1.83)
    _blob(bpy, arm, "spine.006", head_c, (0.095, 0.11, 0.12), m["skin"])
    _blob(bpy, arm, "spine.006", (0.0, 0.0, 1.87), (0.1, 0.105, 0.1), m["hair"])  # hair cap, back and top
    for x in (-0.035, 0.035):
        _blob(bpy, arm, "spine.006", (x, -0.118, 1.85), (0.018, 0.01, 0.013), m["eye"])
        _blob(bpy, arm, "spine.006", (x, -0.127, 1.85), (0.008, 0.006, 0.008), m["pupil"])
        _blob(bpy, arm, "spine.006", (x * 2.65, -0.015, 1.83), (0.012, 0.025, 0.03), m["skin"])  # ears
    _blob(bpy, arm, "spine.006", (0.0, -0.14, 1.815), (0.016, 0.035, 0.016), m["skin"], kind="cone")  # nose
    _blob(bpy, arm, "spine.006", (0.0, -0.12, 1.775), (0.03, 0.008, 0.008), m["lips"])  # mouth

    bpy.ops.mesh.primitive_plane_add(size=30, location=(0, 0, 0))
    bpy.context.object.data.materials.append(m["floor"])

    cam_data = bpy.data.cameras.new("Camera")
    cam_data.lens = LENS_MM
    cam_data.sensor_width = SENSOR_MM
    cam_data.sensor_fit = "HORIZONTAL"
    cam = bpy.data.objects.new("Camera", cam_data)
    bpy.context.scene.collection.objects.link(cam)
    cam.location = CAMERA_LOCATION
    cam.rotation_euler = (math.radians(90), 0, 0)
    scene = bpy.context.scene
    scene.camera = cam
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.display.shading.light = "STUDIO"
    scene.display.shading.color_type = "MATERIAL"
    scene.display.shading.show_shadows = True
    scene.display.shading.show_cavity = True
    scene.render.resolution_x, scene.render.resolution_y = WIDTH, HEIGHT
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    world = bpy.data.worlds.new("World")
    world.color = (0.78, 0.82, 0.86)
    scene.world = world
    return arm


def apply_pose(bpy, arm, targets: dict, yaw_deg: float, travel) -> None:
    """Turn each bone (parents first) so it points along its target direction, a pure swing from rest;
    then stand the figure on the floor and move it by `travel` (forward, left, up in its own frame)."""
    from mathutils import Matrix, Vector

    arm.rotation_euler = (0, 0, math.radians(yaw_deg))
    bpy.context.view_layer.update()
    yaw = Matrix.Rotation(math.radians(yaw_deg), 3, "Z")
    to_arm = arm.matrix_world.to_3x3().inverted() @ yaw  # figure frame -> armature space (no yaw left)
    for pb in arm.pose.bones:
        pb.rotation_mode = "QUATERNION"
        pb.rotation_quaternion = (1, 0, 0, 0)
        pb.location = (0, 0, 0)
    arm.location = (0, 0, 0)
    bpy.context.view_layer.update()
    for name in ORDER:
        if name not in targets:
            continue
        pb = arm.pose.bones[name]
        rest = pb.bone.matrix_local
        rest_dir = (pb.bone.tail_local - pb.bone.head_local).normalized()
        # keep the swing from the bone's current (parent-carried) direction, so children ride along
        current = (pb.matrix.to_3x3() @ Vector((0, 1, 0))).normalized()
        target = (to_arm @ Vector(targets[name])).normalized()
        swing = current.rotation_difference(target).to_matrix()
        mat = (swing @ pb.matrix.to_3x3()).to_4x4()
        mat.translation = pb.matrix.translation
        pb.matrix = mat
        bpy.context.view_layer.update()
        del rest, rest_dir
    # feet flat and on the floor: undo the shin's tilt on the foot, then drop the figure
    for side in ("L", "R"):
        pb = arm.pose.bones[f"foot.{side}"]
        rest = pb.bone.matrix_local.to_3x3()
        mat = rest.to_4x4()
        mat.translation = pb.matrix.translation
        pb.matrix = mat
        bpy.context.view_layer.update()
    ankle_rest = min(arm.data.bones[f"foot.{s}"].head_local.z for s in ("L", "R"))
    ankle_now = min((arm.matrix_world @ arm.pose.bones[f"foot.{s}"].head).z for s in ("L", "R"))
    forward, left, up = travel
    offset = yaw @ Vector((left, -forward, 0.0))
    arm.location = (offset.x, offset.y, ankle_rest - ankle_now + up)
    bpy.context.view_layer.update()


def truth_positions(arm) -> np.ndarray:
    rows = []
    for bone, end in TRUTH_JOINTS.values():
        pb = arm.pose.bones[bone]
        rows.append(tuple(arm.matrix_world @ (pb.head if end == "head" else pb.tail)))
    return np.array(rows)


def render(out_dir: Path, clip_name: str) -> None:
    import bpy

    clip = CLIPS[clip_name]
    out_dir = Path(out_dir)
    frames_dir = out_dir / "frames"
    frames_dir.mkdir(parents=True, exist_ok=True)
    arm = build_scene(bpy)
    scene = bpy.context.scene
    truth = []
    for frame in range(clip.frames):
        apply_pose(bpy, arm, pose_at(clip, frame), float(_interp(clip.yaw, frame)[0]), _interp(clip.travel, frame))
        truth.append(truth_positions(arm))
        scene.render.filepath = str(frames_dir / f"frame_{frame:04d}.png")
        bpy.ops.render.render(write_still=True)
        print(f"rendered frame {frame + 1}/{clip.frames}", flush=True)
    cam = scene.camera
    np.savez(out_dir / "truth.npz", joints=np.array(truth), joint_names=np.array(list(TRUTH_JOINTS)),
             fps=FPS, width=WIDTH, height=HEIGHT,
             focal_px=LENS_MM / SENSOR_MM * WIDTH, camera_matrix_world=np.array(cam.matrix_world))
    encode(frames_dir, out_dir / "clip.mp4")


def encode(frames_dir: Path, clip: Path) -> None:
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-framerate", str(FPS),
           "-i", str(frames_dir / "frame_%04d.png"), "-c:v", "libx264", "-crf", "16",
           "-pix_fmt", "yuv420p", str(clip)]
    subprocess.run(cmd, check=True)


if __name__ == "__main__":
    render(Path(sys.argv[1]), sys.argv[2])
