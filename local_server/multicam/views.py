# SPDX-License-Identifier: GPL-3.0-or-later
"""The person's 2D keypoints in each camera's video, tracked once per file and put in step.

Tracking is the slow part (MediaPipe, a few seconds per hundred frames), so each video's track is
kept beside the server's data, keyed by the file's size, time and clip window: a volume and the
takes filmed for it, or a job run again, do not track the same video twice.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..processors.base import ProcessingFailed
from ..video import frame_range, probe_video
from .sync import SyncResult, aligned_frames, motion_offsets


@dataclass
class View:
    label: str  # the source's deviceLabel
    path: Path
    fps: float
    size: tuple[int, int]
    first_frame: int  # video frame of row 0
    xy: np.ndarray  # (F, 33, 2) pixels, NaN where unseen
    conf: np.ndarray  # (F, 33)
    people_at_start: int = 1


def _cache_key(path: Path, clip_window, follow: str) -> str:
    st = path.stat()
    text = json.dumps([str(path.resolve()), st.st_size, st.st_mtime_ns, clip_window, follow])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def track_view(label: str, path: Path, clip_window: tuple[float, float] | None, cache_dir: Path | None,
               progress: Callable[[int, int], None] | None = None,
               pick_person: Callable[[int, list], int] | None = None, follow: str = "largest") -> View:
    """MediaPipe's keypoints of the person in one video (a view with nobody in it has all-NaN xy).
    `pick_person` chooses whom to follow (see track_pose), `follow` names that choice for the cache."""
    from ..mocap.pose_tracking import N_LANDMARKS, NoPersonFound, track_pose

    path = Path(path)
    info = probe_video(path)
    frames = frame_range(info, clip_window)
    cached = Path(cache_dir) / f"{_cache_key(path, clip_window, follow)}.npz" if cache_dir else None
    if cached is not None and cached.exists():
        data = np.load(cached)
        return View(label, path, info.fps, (info.width, info.height), frames.start, data["xy"], data["conf"],
                    int(data["people"]))
    try:
        track = track_pose(path, clip_window, progress=progress, pick_person=pick_person)
        xy, conf, people = track.image_xy, np.nan_to_num(track.visibility), track.people_at_start
    except NoPersonFound:
        xy = np.full((len(frames), N_LANDMARKS, 2), np.nan)
        conf, people = np.zeros((len(frames), N_LANDMARKS)), 0
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        part = cached.with_suffix(".part.npz")
        np.savez(part, xy=xy, conf=conf, people=people)
        part.replace(cached)
    return View(label, path, info.fps, (info.width, info.height), frames.start, xy, conf, people)


def track_views(sources: list[tuple[str, Path]], clip_window, cache_dir: Path | None,
                progress: Callable[[float], None] | None = None) -> list[View]:
    views = []
    for i, (label, path) in enumerate(sources):
        def tracked(done: int, total: int, i=i) -> None:
            if progress is not None:
                progress((i + done / max(total, 1)) / len(sources))
        views.append(track_view(label, path, clip_window, cache_dir, tracked))
    fps = {round(v.fps, 2) for v in views}
    if len(fps) > 1:
        raise ProcessingFailed("The cameras' videos have different frame rates (" + ", ".join(
            f"{v.label}: {v.fps:.2f} fps" for v in views) + "); film every camera at the same rate.")
    return views


def clap_frames(sync_method: dict | None, view: View) -> tuple[int, int] | None:
    """The user's clap window as frames of the reference view's rows, when one was given."""
    clap = (sync_method or {}).get("clapWindow")
    if not clap:
        return None
    first = round(clap["startTime"] * view.fps) - view.first_frame
    end = round(clap["endTime"] * view.fps) - view.first_frame
    return (first, end) if end > first else None


def in_step(views: list[View], sync_method: dict | None = None) -> tuple[np.ndarray, np.ndarray, SyncResult]:
    """The views' keypoints on the reference (first) camera's timeline, all of its clip window:
    xy (V, F, 33, 2), conf (V, F, 33), and the sync that put them there."""
    if (sync_method or {}).get("timecodeSync", {}).get("useTimecode"):
        raise ProcessingFailed("Timecode sync is not available on the local server (it reads no timecode from "
                               "the videos); leave syncMethod out to sync from the person's motion, or give a "
                               "clapWindow.")
    sync = motion_offsets([(v.xy, v.conf) for v in views], views[0].fps, window=clap_frames(sync_method, views[0]))
    first, end = aligned_frames([len(v.xy) for v in views], sync.offsets)
    if end - first < 2:
        raise ProcessingFailed("After syncing, the cameras' videos share no common stretch of time; trim them to "
                               "the same moment or film them together.")
    xy, conf = on_reference_timeline(views, sync.offsets)
    return xy, conf, sync


def on_reference_timeline(views: list[View], offsets: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Every view's keypoints at the reference view's rows (a view whose video does not reach a row has
    nothing there), so the motion covers the reference camera's clip window whole."""
    n = len(views[0].xy)
    xy = np.full((len(views), n) + views[0].xy.shape[1:], np.nan)
    conf = np.zeros((len(views), n) + views[0].conf.shape[1:])
    for k, (v, o) in enumerate(zip(views, offsets)):
        rows = np.arange(n)
        src = rows + o
        ok = (src >= 0) & (src < len(v.xy))
        xy[k, rows[ok]] = v.xy[src[ok]]
        conf[k, rows[ok]] = v.conf[src[ok]]
    conf = np.where(np.isfinite(xy).all(-1), conf, 0.0)
    return xy, conf


def offsets_metadata(views: list[View], sync: SyncResult) -> dict:
    """What the job's metadata says about the sync: per device label, frames and seconds."""
    return {"method": sync.method, "reference": views[0].label,
            "offsets": {v.label: {"frames": int(o), "seconds": round(o / v.fps, 4), "correlation": c}
                        for v, o, c in zip(views, sync.offsets, sync.correlations)}}


def follow_same_person(views: list[View], sync: SyncResult, clip_window, cache_dir: Path | None,
                       min_ratio: float = 0.5) -> tuple[list[View], list[str]]:
    """Without cameras yet, the person every camera follows is the one whose motion agrees across views.
    A view whose motion correlates far less with the others than they do with each other, and that saw
    several people, is tracked again following each other person it saw first; the one whose motion
    agrees best with the other views is kept."""
    n = len(views)
    if n < 3:
        return views, []
    corr = np.array(sync.correlations, float)
    views = list(views)
    relinked = []
    for v in range(n):
        others = np.median(np.delete(corr, v))
        if views[v].people_at_start < 2 or corr[v] >= min_ratio * others:
            continue
        best_view, best_corr = views[v], corr[v]
        for k in range(1, views[v].people_at_start):
            def kth(row: int, boxes: list, k=k) -> int:
                by_size = sorted(range(len(boxes)), key=lambda i: -(boxes[i][2] - boxes[i][0]) * (boxes[i][3] - boxes[i][1]))
                return by_size[min(k, len(by_size) - 1)]

            trial = track_view(views[v].label, views[v].path, clip_window, cache_dir, pick_person=kth,
                               follow=f"size-rank:{k}")
            trial_views = views[:v] + [trial] + views[v + 1:]
            got = motion_offsets([(t.xy, t.conf) for t in trial_views], views[0].fps).correlations[v]
            if got > best_corr:
                best_view, best_corr = trial, got
        if best_view is not views[v]:
            views[v] = best_view
            relinked.append(best_view.label)
    return views, relinked
