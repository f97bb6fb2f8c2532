# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the mocap tests: the real pose2sim clips (fetched with pip once) and FBX read-back in bpy."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def pose2sim_clip(name: str = "single_person_cam01") -> Path:
    """A real video of a person from the pose2sim wheel (downloaded into the sample cache on first use)."""
    from local_server.mocap.sample_clips import sample_clip

    return sample_clip(name)


def fbx_bone_heads(fbx: Path, fps: float, bones: list[str], frames: int) -> dict[str, np.ndarray]:
    """World positions (frames, 3) of the named bones' heads (and `<name>.tail`), as imported by Blender."""
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = round(fps), round(fps) / fps
    bpy.ops.import_scene.fbx(filepath=str(fbx))
    arm = next(o for o in scene.objects if o.type == "ARMATURE")
    pose = {b.name.split(":", 1)[-1]: b for b in arm.pose.bones}
    out = {n: np.zeros((frames, 3)) for n in bones}
    out.update({f"{n}.tail": np.zeros((frames, 3)) for n in bones})
    for i in range(frames):
        scene.frame_set(1 + i)
        for n in bones:
            out[n][i] = tuple(arm.matrix_world @ pose[n].head)
            out[f"{n}.tail"][i] = tuple(arm.matrix_world @ pose[n].tail)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return out
