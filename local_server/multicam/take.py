# SPDX-License-Identifier: GPL-3.0-or-later
"""createMultiCamJob on the local server: every camera's keypoints, in step, triangulated with the
volume's cameras, then the single-camera rig, feet and outputs."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .. import rig
from ..export import MOTION_OUTPUTS, export_motion
from ..mocap import pose_tracking as P
from ..mocap.grounding import place_root
from ..mocap.lifting import EAR_C, HIP_C, SHOULDER_C
from ..mocap.retarget import rig_rotations
from ..mocap.smoothing import fill_gaps, gaussian_smooth, sigma_for
from ..motion import Motion
from ..processors.base import ProcessingFailed, ProcessorResult
from .cameras import CameraModel
from .triangulation import reprojection_errors, triangulate
from .views import View, in_step, offsets_metadata, on_reference_timeline, track_views

SUPPORTED_OUTPUTS = frozenset(MOTION_OUTPUTS)
MIN_CONF = 0.5


@dataclass
class MulticamSpec:
    job_id: str
    sources: list[tuple[str, Path]]  # (deviceLabel, video path) of the take
    volume_id: str
    volume_state: str
    volume_cameras: dict  # deviceLabel -> {matrix, distortions, rotation, translation, size}
    outputs: list[str]
    clip_window: tuple[float, float] | None = None
    options: dict = field(default_factory=dict)
    number_of_actors: int = 1
    sync_method: dict | None = None
    cache_dir: Path | None = None


def check_take(spec: MulticamSpec) -> list[CameraModel]:
    """The volume's cameras for the take's sources, or ProcessingFailed saying what does not fit."""
    if spec.number_of_actors != 1:
        raise ProcessingFailed(
            f"The local server captures one person per multicam job; this job asked for numberOfActors "
            f"{spec.number_of_actors}. Set numberOfActors to 1 (the person every camera follows is captured).")
    if spec.volume_state != "FINISHED" or not spec.volume_cameras:
        raise ProcessingFailed(f"The take's volume {spec.volume_id} is not calibrated (state {spec.volume_state}); "
                               "create a volume that FINISHES and a take on it.")
    missing = [label for label, _ in spec.sources if label not in spec.volume_cameras]
    if missing:
        raise ProcessingFailed(
            f"Camera {', '.join(repr(m) for m in missing)} of this take is not one of volume {spec.volume_id}'s cameras "
            f"({', '.join(sorted(spec.volume_cameras))}). Give each source the deviceLabel it had in the calibration, "
            "or calibrate a volume with these cameras.")
    unsupported = [o for o in spec.outputs if o not in SUPPORTED_OUTPUTS]
    if unsupported:
        raise ProcessingFailed(f"Multicam jobs on the local server cannot make {', '.join(unsupported)}.")
    return [CameraModel.from_dict(spec.volume_cameras[label], name=label) for label, _ in spec.sources]


def _check_sizes(cameras: list[CameraModel], views: list[View]) -> None:
    for cam, view in zip(cameras, views):
        if tuple(cam.size) != tuple(view.size):
            raise ProcessingFailed(
                f"Camera {view.label!r} films {view.size[0]}x{view.size[1]} in this take but was calibrated at "
                f"{cam.size[0]}x{cam.size[1]}; film the take with the calibrated settings or calibrate again.")


def refine_offsets(cameras: list[CameraModel], views: list[View], offsets: list[int], search: int = 4) -> list[int]:
    """With the cameras known, each view's offset is moved (within `search` frames) to where its keypoints
    agree best with the joints the other views triangulate: geometry settles what correlation left open."""
    offsets = list(offsets)
    n = len(views)
    if n < 3:
        return offsets
    for v in range(1, n):
        others = [u for u in range(n) if u != v]
        best, best_err = offsets[v], np.inf
        for lag in range(offsets[v] - search, offsets[v] + search + 1):
            trial = list(offsets)
            trial[v] = lag
            first = max(max(0, -o) for o in trial)
            end = min(len(w.xy) - o for w, o in zip(views, trial))
            if end - first < 10:
                continue
            xy = np.stack([views[u].xy[first + trial[u]:end + trial[u]] for u in others])
            conf = np.stack([views[u].conf[first + trial[u]:end + trial[u]] for u in others])
            conf = np.where(np.isfinite(xy).all(-1), conf, 0.0)
            tri = triangulate([cameras[u] for u in others], np.nan_to_num(xy), conf, min_conf=MIN_CONF)
            mine = views[v].xy[first + lag:end + lag]
            ok = (views[v].conf[first + lag:end + lag] >= MIN_CONF) & np.isfinite(tri.points[..., 0])
            if ok.sum() < 50:
                continue
            err = float(np.median(np.linalg.norm(cameras[v].project(tri.points[ok]) - mine[ok], axis=-1)))
            if err < best_err:
                best, best_err = lag, err
        offsets[v] = best
    return offsets


def world_joints(points: np.ndarray, fps: float) -> np.ndarray:
    """Triangulated keypoints (F, 33, 3) -> gap-filled, smoothed joints (F, 36, 3) with the rig's midpoints."""
    filled = fill_gaps(points)
    if not np.isfinite(filled).all():
        # a keypoint no two views ever saw: put it on its side's twin or the hips, so the rig stays whole
        hips = np.nanmean(filled[:, [P.L_HIP, P.R_HIP]], axis=1)
        filled = np.where(np.isfinite(filled), filled, hips[:, None])
    smooth = gaussian_smooth(filled, sigma_for(fps, 0.025))
    out = np.concatenate([smooth, np.zeros((smooth.shape[0], 3, 3))], axis=1)
    out[:, HIP_C] = (smooth[:, P.L_HIP] + smooth[:, P.R_HIP]) / 2
    out[:, SHOULDER_C] = (smooth[:, P.L_SHOULDER] + smooth[:, P.R_SHOULDER]) / 2
    out[:, EAR_C] = (smooth[:, P.L_EAR] + smooth[:, P.R_EAR]) / 2
    return out


def motion_from_points(points: np.ndarray, fps: float, start_time: float) -> tuple[Motion, dict]:
    world = world_joints(points, fps)
    rotations = rig_rotations(world)
    names = [b.name for b in rig.MOVE_BONES]
    motion = Motion(fps=fps, bone_names=names, root_positions=np.zeros((world.shape[0], 3)),
                    rotations=np.stack([rotations[n] for n in names], axis=1), start_time=start_time)
    ground = place_root(motion, world, fps)
    motion.validate()
    return motion, ground


def _file_stem(job_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", job_id)[:80] or "take"


def triangulate_take(spec: MulticamSpec, cameras: list[CameraModel], progress: Callable[[int], None]):
    """Track, sync and triangulate: (views, points (F, 33, 3), triangulation, sync, offsets, first row)."""
    views = track_views(spec.sources, spec.clip_window, spec.cache_dir, progress=lambda f: progress(int(60 * f)))
    _check_sizes(cameras, views)
    nobody = [v.label for v in views if not np.isfinite(v.xy[:, 0, 0]).any()]
    if len(nobody) > len(views) - 2:
        raise ProcessingFailed(f"Fewer than two cameras see the person ({', '.join(map(repr, nobody))} see nobody); "
                               "film the person where at least two cameras' views overlap.")
    xy, conf, sync, first = in_step(views, spec.sync_method)
    if not (spec.sync_method or {}).get("clapWindow"):
        sync.offsets = refine_offsets(cameras, views, sync.offsets)
        xy, conf, _, first = _restep(views, sync.offsets)
    progress(62)
    tri = triangulate(cameras, np.nan_to_num(xy), conf, min_conf=MIN_CONF)
    return views, tri, sync, first


def _restep(views, offsets):
    xy, conf = on_reference_timeline(views, offsets)
    return xy, conf, None, 0


def process_multicam(spec: MulticamSpec, out_dir: Path, progress: Callable[[int], None]) -> ProcessorResult:
    cameras = check_take(spec)
    progress(0)
    views, tri, sync, first = triangulate_take(spec, cameras, progress)
    seen = np.isfinite(tri.points[..., 0])
    if seen[:, [P.L_HIP, P.R_HIP, P.L_SHOULDER, P.R_SHOULDER]].all(axis=1).sum() < 2:
        raise ProcessingFailed("No two cameras saw the person's body at the same time; check that the take's "
                               "cameras film the same place as in the calibration.")
    fps = views[0].fps
    motion, ground = motion_from_points(tri.points, fps, (views[0].first_frame + first) / fps)
    progress(66)
    out_dir = Path(out_dir)
    files = export_motion(motion, out_dir, list(spec.outputs), name=_file_stem(spec.job_id),
                          progress=lambda f: progress(66 + int(f * 33)))
    progress(100)
    dropped = {v.label: round(float(1 - tri.views_used[..., i][seen].mean()), 3) if seen.any() else None
               for i, v in enumerate(views)}
    metadata = {
        "processor": "mediapipe-multicam",
        "fps": fps,
        "frames": motion.frame_count,
        "firstFrame": views[0].first_frame + first,
        "actors": 1,
        "sync": offsets_metadata(views, sync),
        "triangulation": {
            "medianReprojectionErrorPx": round(float(np.nanmedian(tri.error_px)), 2),
            "jointsSeenShare": round(float(seen.mean()), 3),
            "droppedShareByCamera": dropped,
        },
        "tracking": {"framesWithPerson": {v.label: int(np.isfinite(v.xy[:, 0, 0]).sum()) for v in views}, **ground},
    }
    odd = [label for label, share in dropped.items() if share is not None and share > 0.5]
    if odd:
        metadata["note"] = (f"Camera {', '.join(map(repr, odd))} mostly disagreed with the others and was left out "
                            "of most joints: it may follow another person or have moved since the calibration.")
    return ProcessorResult(files=files, metadata=metadata)


# Where the tests and benchmarks reach for the 2D -> 3D step without the outputs.
__all__ = ["MulticamSpec", "check_take", "process_multicam", "triangulate_take", "motion_from_points",
           "refine_offsets", "reprojection_errors"]
