# SPDX-License-Identifier: GPL-3.0-or-later
"""The animation a processor computes, handed from the processor to the Blender exporter.

A `Motion` is rig-convention free: each bone's rotation is the *armature-space* rotation that
carries the bone from its T-pose rest orientation (see `rig.py`) to its pose, so a processor
only has to say where bones point, never deal with Blender's bone rolls. The exporter turns it
into local pose-bone keys: basis_b = rest_b^-1 · (R_parent^-1 · R_b) · rest_b.
It travels between processes as an .npz file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class Motion:
    fps: float  # the source video's frame rate; one sample per video frame
    bone_names: list[str]  # names from rig.MOVE_BONES, without the actor prefix
    root_positions: np.ndarray  # (F, 3) world position of the Hips head, metres, Z up
    rotations: np.ndarray  # (F, B, 4) armature-space delta rotations, quaternions (w, x, y, z)
    start_time: float = 0.0  # seconds into the source video of sample 0 (the clip window's start)
    metadata: dict = field(default_factory=dict)  # what the processor wants the job to report

    @property
    def frame_count(self) -> int:
        return int(self.root_positions.shape[0])

    def validate(self) -> None:
        f = self.frame_count
        if f < 1:
            raise ValueError("a motion needs at least one frame")
        if self.root_positions.shape != (f, 3):
            raise ValueError(f"root_positions must be (F, 3), got {self.root_positions.shape}")
        if self.rotations.shape != (f, len(self.bone_names), 4):
            raise ValueError(f"rotations must be (F, B, 4), got {self.rotations.shape}")
        if not (self.fps > 0):
            raise ValueError("fps must be positive")
        if not np.all(np.isfinite(self.rotations)) or not np.all(np.isfinite(self.root_positions)):
            raise ValueError("motion holds NaN or infinite values")

    def save(self, path: Path) -> None:
        import json

        self.validate()
        np.savez(
            path,
            fps=np.float64(self.fps),
            bone_names=np.array(self.bone_names),
            root_positions=self.root_positions.astype(np.float64),
            rotations=self.rotations.astype(np.float64),
            start_time=np.float64(self.start_time),
            metadata=np.array(json.dumps(self.metadata)),
        )

    @classmethod
    def load(cls, path: Path) -> "Motion":
        import json

        with np.load(path, allow_pickle=False) as data:
            motion = cls(
                fps=float(data["fps"]),
                bone_names=[str(n) for n in data["bone_names"]],
                root_positions=data["root_positions"],
                rotations=data["rotations"],
                start_time=float(data["start_time"]),
                metadata=json.loads(str(data["metadata"])),
            )
        motion.validate()
        return motion
