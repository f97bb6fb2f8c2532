# SPDX-License-Identifier: GPL-3.0-or-later
"""MOTION_DATA: a zip holding one JSON file per actor in Move's motion-data layout.

Zip members: `actor_1.json` (then `actor_2.json`, ... for more actors), each

    {"fps": 24.0, "start_time": 1.5, "mocap_data": [
        {"timestamp": "0.0", "joint_data": {"Root": {"position": [x, y, z], "type": "euler_xyz",
            "rotations": [rx, ry, rz], "torques": [0.0, 0.0, 0.0], "reaction_forces": 0.0}, ...}},
        ...]}

- one entry per sample (video frame of the clip window); `timestamp` is seconds since the first
  sample, written as a decimal string like Move's ("0.0", "0.041667"); `start_time` is where the
  first sample sits in the source video, `fps` the sample rate (both additions to Move's layout);
- `position`: the joint's world position in metres, Z up (Blender's axes: the actor faces -Y);
- `rotations`: the joint's local rotation in radians as Euler XYZ angles (Blender's XYZ order:
  R = Rz · Ry · Rx): the bone's turn relative to its parent, away from the T-pose, on the
  armature's axes; for Root it is the hips' turn in the world;
- `torques` and `reaction_forces` are zero: nothing here estimates forces.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from ..kinematics import forward_kinematics
from ..motion import Motion
from ..rig import BODY_BONES
from .pose_keys import armature_rotations, local_rotations

# Move's joint name -> the rig bone whose head is the joint and whose rotation the joint reports.
JOINTS: dict[str, str] = {
    "Root": "Hips",
    "Spine1": "Spine", "Spine2": "Spine1", "Neck": "Neck",
    **{f"{side}_{joint}": f"{side}{bone}" for side in ("Left", "Right") for joint, bone in (
        ("hip", "UpLeg"), ("knee", "Leg"), ("ankle", "Foot"), ("toe", "ToeBase"),
        ("shoulder_rotation", "Arm"), ("elbow", "ForeArm"), ("wrist", "Hand"),
    )},
}


def quat_to_euler_xyz(q: np.ndarray) -> np.ndarray:
    """(..., 4) unit quaternions (w, x, y, z) to (..., 3) Euler XYZ angles with R = Rz · Ry · Rx."""
    w, x, y, z = np.moveaxis(q, -1, 0)
    r00 = 1 - 2 * (y * y + z * z)
    r10 = 2 * (x * y + w * z)
    r20 = 2 * (x * z - w * y)
    r21 = 2 * (y * z + w * x)
    r22 = 1 - 2 * (x * x + y * y)
    return np.stack([np.arctan2(r21, r22), np.arcsin(np.clip(-r20, -1.0, 1.0)), np.arctan2(r10, r00)], axis=-1)


def _full_body(motion: Motion) -> Motion:
    """The motion on every body bone (untracked ones at rest relative to their parent)."""
    return Motion(fps=motion.fps, bone_names=[b.name for b in BODY_BONES], root_positions=motion.root_positions,
                  rotations=armature_rotations(motion, BODY_BONES), start_time=motion.start_time)


def actor_json(motion: Motion) -> dict:
    body = _full_body(motion)
    heads, _ = forward_kinematics(body)
    euler = quat_to_euler_xyz(local_rotations(body.rotations, BODY_BONES))
    column = {n: i for i, n in enumerate(body.bone_names)}
    samples = []
    for f in range(motion.frame_count):
        joints = {}
        for joint, bone in JOINTS.items():
            i = column[bone]
            joints[joint] = {
                "position": [round(float(v), 6) for v in heads[f, i]],
                "type": "euler_xyz",
                "rotations": [round(float(v), 6) for v in euler[f, i]],
                "torques": [0.0, 0.0, 0.0],
                "reaction_forces": 0.0,
            }
        samples.append({"timestamp": str(round(f / motion.fps, 6)), "joint_data": joints})
    return {"fps": motion.fps, "start_time": motion.start_time, "mocap_data": samples}


def write_motion_data(motions: Motion | list[Motion], out_path: Path) -> Path:
    """Write the MOTION_DATA zip; member `actor_<n>.json` holds actor n (1-based, as in `_1:Hips`)."""
    motions = [motions] if isinstance(motions, Motion) else list(motions)
    out_path = Path(out_path)
    with zipfile.ZipFile(out_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for n, motion in enumerate(motions, start=1):
            archive.writestr(f"actor_{n}.json", json.dumps(actor_json(motion), separators=(",", ":")))
    return out_path
