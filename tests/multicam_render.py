# SPDX-License-Identifier: GPL-3.0-or-later
"""Renders the mocap benchmark's figure (benchmarks/mocap/scene.py) from three cameras at once, with the
cameras' true intrinsics and poses and the joints' true positions: a multicam clip with known answers.

Run in the bpy environment: `python tests/multicam_render.py OUT_DIR`. Writes OUT_DIR/camNN.mp4,
OUT_DIR/truth.npz (joints per frame) and OUT_DIR/cameras.json (OpenCV intrinsics and world->camera).
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

WIDTH, HEIGHT = 320, 240
LENS_MM, SENSOR_MM = 40.0, 36.0
FRAMES = range(0, 80, 2)  # every other frame of the benchmark's 80: 40 frames at 12.5 fps
FPS = 12.5
#: (azimuth degrees from the figure's front, distance m, height m): three cameras around the front,
#: where MediaPipe sees the face and keeps left and right apart.
CAMERAS = [(-55.0, 4.6, 1.5), (5.0, 5.0, 1.1), (60.0, 4.4, 1.8)]
#: Half-axes (x, y metres) of the ellipse the figure glides round in the clip's 3.1 s: 4 m at 1.3 m/s
#: on average, 1.5 m/s at most, a walk. (A figure-eight of 10 m in 3.1 s, up to 4.9 m/s while squatting,
#: was a sprint no person does: the mocap tracker rightly refused it as somebody else.)
GLIDE = (0.75, 0.5)


def _look_at(cam, target):
    from mathutils import Vector

    direction = Vector(target) - cam.location
    cam.rotation_euler = direction.to_track_quat("-Z", "Y").to_euler()


def render(out_dir: Path) -> None:
    import bpy

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    from benchmarks.mocap import scene as truth_scene
    from benchmarks.mocap.clips import CLIPS

    motion, yaw_deg = CLIPS["mixed"], 25.0  # the benchmark's first clip, the figure turned a little

    out_dir = Path(out_dir)
    arm = truth_scene.build_scene(bpy)
    scene = bpy.context.scene
    scene.render.resolution_x, scene.render.resolution_y = WIDTH, HEIGHT
    cams = []
    for i, (az, dist, height) in enumerate(CAMERAS):
        data = bpy.data.cameras.new(f"cam{i + 1:02d}")
        data.lens, data.sensor_width, data.sensor_fit = LENS_MM, SENSOR_MM, "HORIZONTAL"
        obj = bpy.data.objects.new(f"cam{i + 1:02d}", data)
        scene.collection.objects.link(obj)
        a = math.radians(az - 90.0)  # azimuth 0 = in front of the figure, on -Y
        obj.location = (dist * math.cos(a), dist * math.sin(a), height)
        _look_at(obj, (0.0, 0.0, 1.0))
        cams.append(obj)
    bpy.context.view_layer.update()
    truth = []
    for k, frame in enumerate(FRAMES):
        truth_scene.apply_pose(bpy, arm, truth_scene.pose_at(motion, frame), yaw_deg, (0.0, 0.0, 0.0))
        # glide once round an ellipse on the floor, at a walker's speed, and turn a little, so the cameras
        # see the figure at many depths
        t = k / max(1, len(FRAMES) - 1)
        arm.location.x += GLIDE[0] * math.sin(2 * math.pi * t)
        arm.location.y += -0.4 - GLIDE[1] * math.cos(2 * math.pi * t)
        arm.rotation_euler.z = math.radians(yaw_deg - 40.0 * math.sin(2 * math.pi * t))
        bpy.context.view_layer.update()
        truth.append(truth_scene.truth_positions(arm))
        for obj in cams:
            scene.camera = obj
            scene.render.filepath = str(out_dir / obj.name / f"frame_{k:04d}.png")
            bpy.ops.render.render(write_still=True)
    focal = LENS_MM / SENSOR_MM * WIDTH
    described = {}
    flip = np.diag([1.0, -1.0, -1.0])  # Blender's camera looks down -Z with +Y up; OpenCV's down +Z, +Y down
    for obj in cams:
        world = np.array(obj.matrix_world)
        rot = flip @ world[:3, :3].T
        described[obj.name] = {"size": [WIDTH, HEIGHT], "matrix": [[focal, 0, WIDTH / 2], [0, focal, HEIGHT / 2], [0, 0, 1]],
                               "rotation_matrix": rot.tolist(), "translation": (-rot @ world[:3, 3]).tolist()}
    (out_dir / "cameras.json").write_text(json.dumps(described))
    np.savez(out_dir / "truth.npz", joints=np.array(truth), joint_names=np.array(list(truth_scene.TRUTH_JOINTS)),
             fps=FPS)
    for obj in cams:
        _encode(out_dir / obj.name, out_dir / f"{obj.name}.mp4")


def _encode(frames_dir: Path, clip: Path) -> None:
    import subprocess

    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-framerate", str(FPS),
                    "-i", str(frames_dir / "frame_%04d.png"), "-c:v", "libx264", "-crf", "16", "-pix_fmt", "yuv420p",
                    str(clip)], check=True)


if __name__ == "__main__":
    render(Path(sys.argv[1]))
