# SPDX-License-Identifier: GPL-3.0-or-later
"""createMultiCamJob on the local server: every camera's keypoints, in step, triangulated with the
volume's cameras, then the single-camera rig, feet and outputs."""
from __future__ import annotations

import re
import warnings
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
from .skeleton import BODY_JOINTS, swap_left_right
from .triangulation import fix_left_right, triangulate
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


def refine_offsets(cameras: list[CameraModel], views: list[View], offsets: list[int], search_s: float = 1.0
                   ) -> list[int]:
    """With the cameras known, each view's offset is moved (within `search_s` seconds, a third of the clip
    at most) to where its keypoints agree best with the joints the other views triangulate: geometry
    settles what correlation left open (a short clip, a view whose speeds look unlike the others').
    The distance is taken with the view's left/right labels as given or swapped, whichever is nearer,
    so a mirrored frame does not weigh on the timing."""
    offsets = list(offsets)
    n = len(views)
    if n < 3:
        return offsets
    frames = len(views[0].xy)
    search = max(1, int(min(search_s * views[0].fps, frames // 3)))
    enough = max(10, frames // 3)  # frames the view must share with the others for a lag to count
    for v in range(1, n):
        others = [u for u in range(n) if u != v]
        xy, conf = on_reference_timeline(views, offsets)
        xy, conf, _ = fix_left_right(cameras, np.nan_to_num(xy), conf, min_conf=MIN_CONF)
        points = triangulate([cameras[u] for u in others], xy[others], conf[others], min_conf=MIN_CONF).points
        projected = cameras[v].project(points)[:, BODY_JOINTS]
        best, best_err = offsets[v], np.inf
        for lag in range(-search, search + 1):
            trial = list(offsets)
            trial[v] = lag
            mine, mine_conf = on_reference_timeline([views[0], views[v]], [trial[0], lag])
            ok = (mine_conf[1][:, BODY_JOINTS] >= MIN_CONF) & np.isfinite(projected[..., 0])
            if ok.any(axis=1).sum() < enough:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # frames where the view sees nobody
                dist = [np.nanmean(np.where(ok, np.linalg.norm(projected - m[:, BODY_JOINTS], axis=-1), np.nan), axis=1)
                        for m in (mine[1], swap_left_right(mine[1]))]
                err = float(np.nanmedian(np.fmin(*dist)))
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


def consensus(cameras: list[CameraModel], xy: np.ndarray, conf: np.ndarray, rows: np.ndarray) -> list[int]:
    """The largest set of views that see the same person in the given rows: the pair of views whose
    triangulation the most other views reproject onto (within 4% of the image diagonal), RANSAC-like,
    so a view following someone else cannot pull the vote its way."""
    n = len(cameras)
    best: tuple[int, float, list[int]] = (0, np.inf, list(range(n)))
    for a in range(n):
        for b in range(a + 1, n):
            tri = triangulate([cameras[a], cameras[b]], np.nan_to_num(xy[[a, b]][:, rows]), conf[[a, b]][:, rows],
                              min_conf=MIN_CONF)
            if not np.isfinite(tri.error_px).any():
                continue
            members = [a, b]
            for c in range(n):
                if c in (a, b):
                    continue
                ok = (conf[c][rows] >= MIN_CONF) & np.isfinite(tri.points[..., 0])
                if ok.sum() < 8:
                    continue
                err = np.median(np.linalg.norm(cameras[c].project(tri.points[ok]) - xy[c][rows][ok], axis=-1))
                if err < 0.04 * float(np.hypot(*cameras[c].size)):
                    members.append(c)
            own = float(np.nanmedian(tri.error_px))
            if (len(members), -own) > (best[0], -best[1]):
                best = (len(members), own, sorted(members))
    return best[2]


def link_person(cameras: list[CameraModel], views: list[View], offsets: list[int], spec: MulticamSpec
                ) -> tuple[list[View], list[str]]:
    """Make every camera follow the same person. Each view follows the largest person it sees first; a
    view outside the consensus of the others (someone else was larger in that camera) is tracked again,
    following the person whose box matches where the consensus's triangulated joints project into it."""
    n = len(views)
    if n < 3:
        return views, []
    xy, conf = on_reference_timeline(views, offsets)
    seen = (conf >= MIN_CONF).sum(-1) >= 8  # (V, F)
    rows = np.flatnonzero(seen.sum(0) >= 2)[:max(10, xy.shape[1] // 5)]  # where each view chose whom to follow
    if rows.size == 0:
        return views, []
    members = consensus(cameras, xy, conf, rows)
    odd = [v for v in range(n) if v not in members and views[v].people_at_start > 1]
    if not odd or len(members) < 2:
        return views, []
    agreed = triangulate([cameras[u] for u in members], np.nan_to_num(xy[members]), conf[members],
                         min_conf=MIN_CONF)
    views = list(views)
    relinked = []
    for v in odd:
        projected = cameras[v].project(agreed.points)  # (F, 33, 2) in view v, on the reference's rows
        have = [r for r in range(len(projected)) if _box(projected[r]) is not None]
        if not have:
            continue

        def pick(row: int, boxes: list, projected=projected, have=have, offset=offsets[v]) -> int:
            target = _box(projected[min(have, key=lambda r: abs(r - (row - offset)))])
            return max(range(len(boxes)), key=lambda k: _iou(boxes[k], target))

        follow = "linked:" + ",".join(f"{x:.0f}" for x in _box(projected[have[0]]))
        views[v] = track_view(views[v].label, views[v].path, spec.clip_window, spec.cache_dir, pick_person=pick,
                              follow=follow)
        relinked.append(views[v].label)
    return views, relinked


def triangulate_take(spec: MulticamSpec, cameras: list[CameraModel], progress: Callable[[int], None]):
    """Track, sync, link the person across views and triangulate: (views, triangulation, sync, relinked)."""
    views = track_views(spec.sources, spec.clip_window, spec.cache_dir, progress=lambda f: progress(int(55 * f)))
    cameras = fit_to_videos(cameras, views)
    nobody = [v.label for v in views if not np.isfinite(v.xy[:, 0, 0]).any()]
    if len(nobody) > len(views) - 2:
        raise ProcessingFailed(f"Fewer than two cameras see the person ({', '.join(map(repr, nobody))} see nobody); "
                               "film the person where at least two cameras' views overlap.")
    _, _, sync = in_step(views, spec.sync_method)
    # who is followed first (correlation is good to a frame or two, enough to tell people apart), then
    # the sync again on the right person and settled with the cameras
    views, relinked = link_person(cameras, views, sync.offsets, spec)
    if relinked:
        _, _, sync = in_step(views, spec.sync_method)
    if not (spec.sync_method or {}).get("clapWindow"):
        sync.offsets = refine_offsets(cameras, views, sync.offsets)
    progress(62)
    xy, conf = on_reference_timeline(views, sync.offsets)
    xy, conf, swapped = fix_left_right(cameras, xy, conf, min_conf=MIN_CONF)
    tri = triangulate(cameras, np.nan_to_num(xy), conf, min_conf=MIN_CONF)
    tri.swapped = {views[v].label: n for v, n in swapped.items()}
    return views, tri, sync, relinked


def process_multicam(spec: MulticamSpec, out_dir: Path, progress: Callable[[int], None]) -> ProcessorResult:
    cameras = check_take(spec)
    progress(0)
    views, tri, sync, relinked = triangulate_take(spec, cameras, progress)
    seen = np.isfinite(tri.points[..., 0])
    if seen[:, [P.L_HIP, P.R_HIP, P.L_SHOULDER, P.R_SHOULDER]].all(axis=1).sum() < 2:
        raise ProcessingFailed("No two cameras saw the person's body at the same time; check that the take's "
                               "cameras film the same place as in the calibration.")
    fps = views[0].fps
    motion, ground = motion_from_points(tri.points, fps, views[0].first_frame / fps)
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
        "firstFrame": views[0].first_frame,  # the first camera's video frame of sample 0
        "actors": 1,
        "sync": offsets_metadata(views, sync),
        "triangulation": {
            "medianReprojectionErrorPx": round(float(np.nanmedian(tri.error_px)), 2),
            "jointsSeenShare": round(float(seen.mean()), 3),
            "droppedShareByCamera": dropped,
            "leftRightRelabelledFrames": tri.swapped,
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

