# SPDX-License-Identifier: GPL-3.0-or-later
"""MediaPipe's pass over a clip, cached in the sample cache while the tracking code is unchanged,
so tuning the lift does not rerun MediaPipe. Timing comparisons never use a cached pass."""
from __future__ import annotations

import hashlib
from dataclasses import fields
from pathlib import Path

import numpy as np

from local_server.mocap import pose_tracking as P
from local_server.mocap.sample_clips import default_cache_dir

ROOT = Path(__file__).resolve().parents[2]


def _code_stamp() -> str:
    return hashlib.sha256((ROOT / "local_server" / "mocap" / "pose_tracking.py").read_bytes()).hexdigest()[:12]


def cached_track(video: Path, key: str, **kwargs) -> P.PoseTrack:
    """track_pose(video, **kwargs), from the cache when the same code already ran it on `key`."""
    extra = "-".join(f"{k}={v}" for k, v in sorted(kwargs.items()))
    path = default_cache_dir() / "mocap_tracks" / f"{key}-{extra}-{_code_stamp()}.npz"
    if path.exists():
        data = np.load(path, allow_pickle=False)
        values = {}
        for f in fields(P.PoseTrack):
            if f.name in data.files:
                v = data[f.name]
                values[f.name] = v.item() if v.ndim == 0 else v
        values.setdefault("notes", {})
        return P.PoseTrack(**values)
    track = P.track_pose(video, **kwargs)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f.name: getattr(track, f.name) for f in fields(P.PoseTrack)
              if f.name != "notes" and getattr(track, f.name) is not None}
    np.savez(path.with_suffix(".part.npz"), **arrays)
    path.with_suffix(".part.npz").replace(path)
    return track
