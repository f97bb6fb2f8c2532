# SPDX-License-Identifier: GPL-3.0-or-later
"""The `reference` processor: a TEST FIXTURE that writes real output files holding a SYNTHETIC motion.

It tracks nobody. It reads the real video (frame rate, frame count, size, the clip window's frames)
and animates Move's rig with a made-up, smooth, periodic exercise (arms raising and lowering with
bent elbows, a knee bend that lowers the hips with the feet planted, a nod) with one sample per
video frame. Every output is a real file built the same way the MediaPipe processor builds its
own, so clients, the add-on and tests can run the whole flow offline and fast. Jobs it finishes
say so in their metadata: {"processor": "reference", "synthetic": true}.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..export import MOTION_OUTPUTS, export_motion
from ..export.skeleton_2d import body_skeleton, fit_projection, project
from ..kinematics import quat_from_axis_angle, quat_multiply
from ..motion import Motion
from ..export.overlay import write_overlay_video
from ..rig import BODY_BONES, BONES_BY_NAME
from ..video import VideoInfo, frame_range, probe_video
from .base import JobSpec, ProcessorResult, Progress, refuse_unsupported

ARM_PERIOD_S = 2.0
SQUAT_PERIOD_S = 3.0
MAX_KNEE_HALF_ANGLE = 0.35  # radians; the knee bends twice this
_THIGH = BONES_BY_NAME["LeftUpLeg"]
_SHIN = BONES_BY_NAME["LeftLeg"]
LEG_LENGTHS = (_THIGH.head[2] - _THIGH.tail[2], _SHIN.head[2] - _SHIN.tail[2])


def _about(axis, angle: np.ndarray) -> np.ndarray:
    return quat_from_axis_angle(np.broadcast_to(np.asarray(axis, dtype=np.float64), angle.shape + (3,)), angle)


def synthetic_motion(fps: float, frame_count: int, start_time: float = 0.0) -> Motion:
    """A plausible, obviously made-up exercise on Move's body bones, one sample per video frame."""
    t = start_time + np.arange(frame_count) / fps  # source-video seconds, so a window cuts the same take
    arm_phase = 2 * np.pi * t / ARM_PERIOD_S
    squat_phase = 2 * np.pi * t / SQUAT_PERIOD_S
    names = [b.name for b in BODY_BONES]
    rotations = np.zeros((frame_count, len(names), 4))
    rotations[..., 0] = 1.0

    def put(name: str, q: np.ndarray) -> None:
        rotations[:, names.index(name)] = q

    # Arms swing from well below to well above the shoulders; elbows bend forward as they move.
    lift = -1.2 + 2.4 * 0.5 * (1 - np.cos(arm_phase))
    bend = 0.25 + 0.25 * (1 - np.cos(arm_phase))
    for side, sign in (("Left", 1.0), ("Right", -1.0)):
        arm = _about((0.0, -sign, 0.0), lift)  # left arm lies along +X: turning about -Y lifts it
        forearm = quat_multiply(arm, _about((0.0, 0.0, -sign), bend))  # bend toward the front (-Y)
        put(f"{side}Arm", arm)
        put(f"{side}ForeArm", forearm)
        put(f"{side}Hand", forearm)

    # Knee bend: thighs forward, shins back by the same angle, so the feet stay where they stand.
    half = MAX_KNEE_HALF_ANGLE * 0.5 * (1 - np.cos(squat_phase))
    for side in ("Left", "Right"):
        put(f"{side}UpLeg", _about((1.0, 0.0, 0.0), -half))
        put(f"{side}Leg", _about((1.0, 0.0, 0.0), half))
    lean = _about((1.0, 0.0, 0.0), -0.5 * half)  # the chest leans forward a little to balance
    put("Spine", lean)
    put("Spine1", lean)
    put("Neck", quat_multiply(lean, _about((1.0, 0.0, 0.0), -0.12 * np.sin(arm_phase))))
    put("Head", rotations[:, names.index("Neck")])

    drop = (LEG_LENGTHS[0] + LEG_LENGTHS[1]) * (1 - np.cos(half))
    root = np.tile(BONES_BY_NAME["Hips"].head, (frame_count, 1))
    root[:, 2] -= drop
    return Motion(fps=fps, bone_names=names, root_positions=root, rotations=rotations, start_time=start_time,
                  metadata={"processor": "reference", "synthetic": True})


def overlay_joints(motion: Motion, info: VideoInfo):
    """The synthetic skeleton seen from the front, centred in the video frame: pixels, edges, colours."""
    skeleton = body_skeleton(motion)
    scale, offset = fit_projection(skeleton.points, (0, 2), info.width, info.height, fill=0.8)
    return project(skeleton.points, (0, 2), scale, offset), skeleton.edges, skeleton.edge_colors


def _file_stem(job_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", job_id)[:80] or "take"


class ReferenceProcessor:
    """Test fixture: real files from the real video's timing, carrying a synthetic motion (see module doc)."""

    name = "reference"
    supported_outputs = frozenset(MOTION_OUTPUTS + ("RENDER_OVERLAY_VIDEO",))

    def process(self, job: JobSpec, out_dir: Path, progress: Progress) -> ProcessorResult:
        refuse_unsupported(job, self.supported_outputs, self.name)
        progress(0)
        info = probe_video(job.video_path)
        frames = frame_range(info, job.clip_window)
        progress(5)
        motion = synthetic_motion(info.fps, len(frames), start_time=frames.start / info.fps)
        progress(10)
        out_dir = Path(out_dir)
        stem = _file_stem(job.job_id)
        wants_overlay = "RENDER_OVERLAY_VIDEO" in job.outputs
        export_share = 85 if wants_overlay else 95  # the overlay re-encodes the video: give it a slice

        def exported(fraction: float) -> None:
            progress(10 + int(fraction * (export_share - 10)))

        files = export_motion(motion, out_dir, [o for o in job.outputs if o in MOTION_OUTPUTS], name=stem,
                              progress=exported)
        if wants_overlay:
            joints, edges, colors = overlay_joints(motion, info)
            files["RENDER_OVERLAY_VIDEO"] = write_overlay_video(
                job.video_path, frames, joints, edges, out_dir / f"{stem}_overlay.mp4", info=info,
                edge_colors=colors, progress=lambda f: progress(export_share + int(f * (99 - export_share))),
            )
        progress(100)
        metadata = {
            "processor": "reference",
            "synthetic": True,
            "note": "test fixture: a made-up motion, nothing was tracked",
            "fps": info.fps,
            "frames": len(frames),
            "firstFrame": frames.start,
            "actors": 1,
        }
        return ProcessorResult(files=files, metadata=metadata)
