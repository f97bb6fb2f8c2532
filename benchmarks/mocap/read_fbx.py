# SPDX-License-Identifier: GPL-3.0-or-later
"""Reads joint positions back from an exported FBX with bpy, as a user importing it would see them.

`python -m benchmarks.mocap.read_fbx FBX FPS OUT.npz`: imports the FBX into a fresh scene at the
take's frame rate and saves each rig joint's world position per frame (sample i on frame 1 + i).
"""
from __future__ import annotations

import sys

import numpy as np

# Benchmark joint -> the Move bone whose head sits at that joint.
JOINT_BONES = {
    "LeftShoulder": "LeftArm", "RightShoulder": "RightArm", "LeftElbow": "LeftForeArm", "RightElbow": "RightForeArm",
    "LeftWrist": "LeftHand", "RightWrist": "RightHand", "LeftHip": "LeftUpLeg", "RightHip": "RightUpLeg",
    "LeftKnee": "LeftLeg", "RightKnee": "RightLeg", "LeftAnkle": "LeftFoot", "RightAnkle": "RightFoot",
}


def read(fbx_path: str, fps: float, frame_count: int) -> np.ndarray:
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = round(fps), round(fps) / fps
    bpy.ops.import_scene.fbx(filepath=fbx_path)
    arm = next(o for o in scene.objects if o.type == "ARMATURE")
    bones = {b.name.split(":")[-1]: b for b in arm.pose.bones}
    out = np.zeros((frame_count, len(JOINT_BONES), 3))
    for i in range(frame_count):
        scene.frame_set(1 + i)
        for k, bone in enumerate(JOINT_BONES.values()):
            out[i, k] = tuple(arm.matrix_world @ bones[bone].head)
    return out


if __name__ == "__main__":
    fbx, fps, count, dest = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    np.savez(dest, joints=read(fbx, fps, count), joint_names=np.array(list(JOINT_BONES)))
