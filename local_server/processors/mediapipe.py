# SPDX-License-Identifier: GPL-3.0-or-later
"""The `mediapipe` processor: real markerless motion capture on this machine.

Video -> MediaPipe Pose (and Hands with trackFingers) -> 3D joints with fixed bone lengths ->
Move's rig (`local_server.mocap`) -> the requested outputs (`local_server.export`, overlay).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..export import BLENDER_OUTPUTS, MOTION_OUTPUTS, BlenderProcess, export_motion
from ..export.overlay import write_overlay_video
from ..video import frame_range, probe_video
from .base import JobSpec, ProcessingFailed, ProcessorResult, Progress, refuse_unsupported

# Shares of percentageComplete: tracking dominates the time (about 40 fps at 640 px on 2 cores).
_TRACK_END = 70
_EXPORT_END = 90


def _file_stem(job_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", job_id)[:80] or "take"


def _overlay_points(track, lifted) -> np.ndarray:
    """Pixels of the joints the way the motion has them (the lifted, smoothed joints projected back),
    falling back to MediaPipe's 2D points for landmarks the lift does not place (eyes, mouth)."""
    from ..mocap.smoothing import fill_gaps

    cam = lifted.camera
    j = lifted.joints[:, :33]
    px = fill_gaps(track.image_xy)
    placed = j[..., 2] > 1e-6
    z = np.where(placed, j[..., 2], 1.0)
    projected = np.stack([cam.focal * j[..., 0] / z + cam.cx, cam.focal * j[..., 1] / z + cam.cy], -1)
    return np.where(placed[..., None], projected, px)


class MediaPipeProcessor:
    """Tracks the (largest) person in the take's video and writes Move's outputs from the motion."""

    name = "mediapipe"
    supported_outputs = frozenset(MOTION_OUTPUTS + ("RENDER_OVERLAY_VIDEO",))

    def __init__(self) -> None:
        import mediapipe  # noqa: F401 - fail at load time, so the server reports a missing install early

    def process(self, job: JobSpec, out_dir: Path, progress: Progress) -> ProcessorResult:
        from ..mocap.pipeline import motion_from_track
        from ..mocap.pose_tracking import POSE_EDGES, NoPersonFound, track_pose

        refuse_unsupported(job, self.supported_outputs, self.name)
        progress(0)
        info = probe_video(job.video_path)
        frames = frame_range(info, job.clip_window)
        track_fingers = bool(job.options.get("trackFingers"))
        last = [-1]

        def tracked(done: int, total: int) -> None:
            pct = int(_TRACK_END * done / max(total, 1))
            if pct != last[0]:
                last[0] = pct
                progress(pct)

        # Blender loads (about a second, mostly waiting on disk) while MediaPipe tracks.
        blender = BlenderProcess() if any(o in BLENDER_OUTPUTS for o in job.outputs) else None
        try:
            try:
                track = track_pose(job.video_path, job.clip_window, track_hands=track_fingers, progress=tracked,
                                   info=info)
            except NoPersonFound:
                raise ProcessingFailed(
                    f"No person was found in the video: MediaPipe saw nobody in the {len(frames)} frames of the "
                    "clip window. Film one person, whole body in view and well lit, or choose another clip window."
                ) from None
            motion, lifted = motion_from_track(track, track_fingers=track_fingers)
            out_dir = Path(out_dir)
            stem = _file_stem(job.job_id)
            files = export_motion(motion, out_dir, [o for o in job.outputs if o in MOTION_OUTPUTS], name=stem,
                                  progress=lambda f: progress(_TRACK_END + int(f * (_EXPORT_END - _TRACK_END))),
                                  blender=blender)
        finally:
            if blender is not None:
                blender.close()
        if "RENDER_OVERLAY_VIDEO" in job.outputs:
            px = _overlay_points(track, lifted)
            shown = np.repeat(track.found[:, None], px.shape[1], axis=1)
            files["RENDER_OVERLAY_VIDEO"] = write_overlay_video(
                job.video_path, frames, px, POSE_EDGES, out_dir / f"{stem}_overlay.mp4", info=info, visibility=shown,
                progress=lambda f: progress(_EXPORT_END + int(f * (99 - _EXPORT_END))),
            )
        progress(100)
        tracking = dict(motion.metadata.get("tracking", {}))
        metadata = {
            "processor": "mediapipe",
            "fps": info.fps,
            "frames": len(frames),
            "firstFrame": frames.start,
            "actors": 1,
            # S1 and S2 alike: the heavy landmark model measured no better than the full one on the
            # development and tuning sets, at a third of the speed (docs/MOCAP.md).
            "poseModel": "full",
            "tracking": tracking,
        }
        if "warning" in tracking:
            metadata["note"] = tracking["warning"]
        return ProcessorResult(files=files, metadata=metadata)

    def calibrate_volume(self, sources, human_height, clip_window, sync_method, out_dir, cache_dir, progress):
        """createVolumeWithHuman: cameras from the person they film (see local_server/multicam/volume.py)."""
        from ..multicam.volume import calibrate_volume

        return calibrate_volume(sources, human_height, clip_window, sync_method, out_dir, cache_dir, progress)

    def process_multicam(self, spec, out_dir: Path, progress: Progress) -> ProcessorResult:
        """createMultiCamJob: triangulated with the volume's cameras (see local_server/multicam/take.py)."""
        from ..multicam.take import process_multicam

        return process_multicam(spec, out_dir, progress)
