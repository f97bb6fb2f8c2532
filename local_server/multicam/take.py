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
from .views import View, in_step, offsets_metadata, on_reference_timeline, track_view, track_views

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


def fit_to_videos(cameras: list[CameraModel], views: list[View]) -> list[CameraModel]:
    """The cameras for the take's frame sizes. The same camera may encode a few pixels more or less
    (1080 vs 1088 wide, codec padding): up to 2% is taken as a centred crop or pad, and a proportional
    change of resolution scales the intrinsics; anything else means a different camera set-up."""
    out = []
    for cam, view in zip(cameras, views):
        (cw, ch), (vw, vh) = cam.size, view.size
        k = cam.matrix.copy()
        if (cw, ch) != (vw, vh):
            ratio = vw / cw
            if abs(vh / ch - ratio) < 0.005 and abs(ratio - 1) > 0.02:
                k[:2] *= ratio  # same framing at another resolution
            elif abs(vw / cw - 1) <= 0.02 and abs(vh / ch - 1) <= 0.02:
                k[0, 2] += (vw - cw) / 2
                k[1, 2] += (vh - ch) / 2
            else:
                raise ProcessingFailed(
                    f"Camera {view.label!r} films {vw}x{vh} in this take but was calibrated at {cw}x{ch}; film the "
                    "take with the calibrated settings or calibrate again.")
        out.append(CameraModel(cam.name, (vw, vh), k, cam.rotation, cam.translation, cam.distortions))
    return out


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


def _box(points: np.ndarray) -> tuple[float, float, float, float] | None:
    ok = np.isfinite(points).all(-1)
    if ok.sum() < 4:
        return None
    p = points[ok]
    return float(p[:, 0].min()), float(p[:, 1].min()), float(p[:, 0].max()), float(p[:, 1].max())


def _iou(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union if union > 0 else 0.0


def link_person(cameras: list[CameraModel], views: list[View], offsets: list[int], spec: MulticamSpec,
                min_share: float = 0.5) -> tuple[list[View], list[str]]:
    """Make every camera follow the same person. Each view follows the largest person it sees first; a
    view that the others mostly outvote (another person in front of that camera) is tracked again,
    following the person whose box matches where the others' triangulated joints project into it."""
    n = len(views)
    xy, conf = on_reference_timeline(views, offsets)
    tri = triangulate(cameras, np.nan_to_num(xy), conf, min_conf=MIN_CONF)
    seen = np.isfinite(tri.points[..., 0])
    if n < 3 or not seen.any():
        return views, []
    share = [float(tri.views_used[..., v][seen].mean()) for v in range(n)]
    odd = [v for v in range(n) if share[v] < min_share and views[v].people_at_start > 1]
    if not odd or n - len(odd) < 2:
        return views, []
    views = list(views)
    for v in odd:
        others = [u for u in range(n) if u != v and u not in odd]
        agreed = triangulate([cameras[u] for u in others], np.nan_to_num(xy[others]), conf[others], min_conf=MIN_CONF)
        projected = cameras[v].project(agreed.points)  # (F, 33, 2) in view v, on the reference's rows
        rows = [r for r in range(len(projected)) if _box(projected[r]) is not None]
        if not rows:
            continue

        def pick(row: int, boxes: list, projected=projected, rows=rows, offset=offsets[v]) -> int:
            target = _box(projected[min(rows, key=lambda r: abs(r - (row - offset)))])
            return max(range(len(boxes)), key=lambda k: _iou(boxes[k], target))

        follow = "linked:" + ",".join(f"{x:.0f}" for x in _box(projected[rows[0]]))
        views[v] = track_view(views[v].label, views[v].path, spec.clip_window, spec.cache_dir, pick_person=pick,
                              follow=follow)
    return views, [views[v].label for v in odd]


def triangulate_take(spec: MulticamSpec, cameras: list[CameraModel], progress: Callable[[int], None]):
    """Track, sync, link the person across views and triangulate: (views, triangulation, sync, relinked)."""
    views = track_views(spec.sources, spec.clip_window, spec.cache_dir, progress=lambda f: progress(int(55 * f)))
    cameras = fit_to_videos(cameras, views)
    nobody = [v.label for v in views if not np.isfinite(v.xy[:, 0, 0]).any()]
    if len(nobody) > len(views) - 2:
        raise ProcessingFailed(f"Fewer than two cameras see the person ({', '.join(map(repr, nobody))} see nobody); "
                               "film the person where at least two cameras' views overlap.")
    _, _, sync, _ = in_step(views, spec.sync_method)
    # who is followed first (correlation is good to a frame or two, enough to tell people apart), then
    # the sync again on the right person and settled with the cameras
    views, relinked = link_person(cameras, views, sync.offsets, spec)
    if relinked:
        _, _, sync, _ = in_step(views, spec.sync_method)
    if not (spec.sync_method or {}).get("clapWindow"):
        sync.offsets = refine_offsets(cameras, views, sync.offsets)
    progress(62)
    xy, conf = on_reference_timeline(views, sync.offsets)
    tri = triangulate(cameras, np.nan_to_num(xy), conf, min_conf=MIN_CONF)
    return views, tri, sync, relinked


def process_multicam(spec: MulticamSpec, out_dir: Path, progress: Callable[[int], None]) -> ProcessorResult:
    cameras = check_take(spec)
    progress(0)
    views, tri, sync, relinked = triangulate_take(spec, cameras, progress)
    first = 0
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
    if relinked:
        metadata["tracking"]["relinked"] = relinked
        metadata["tracking"]["note"] = (f"Camera {', '.join(map(repr, relinked))} first followed someone else; "
                                        "it was tracked again following the person the other cameras see.")
    odd = [label for label, share in dropped.items() if share is not None and share > 0.5]
    if odd:
        metadata["note"] = (f"Camera {', '.join(map(repr, odd))} mostly disagreed with the others and was left out "
                            "of most joints: it may follow another person or have moved since the calibration.")
    return ProcessorResult(files=files, metadata=metadata)


# Where the tests and benchmarks reach for the 2D -> 3D step without the outputs.
__all__ = ["MulticamSpec", "check_take", "process_multicam", "triangulate_take", "motion_from_points",
           "refine_offsets", "reprojection_errors"]
