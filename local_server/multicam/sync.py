# SPDX-License-Identifier: GPL-3.0-or-later
"""Time offsets between views from the person's motion, as Pose2Sim syncs: cross-correlate keypoint speeds.

Each keypoint's speed in a view is correlated (Pearson) with the same keypoint's speed in another
view at every lag; the curves of all keypoints are averaged, so a keypoint that is briefly hidden
or mislabelled in one view weighs little. The offsets are then chosen together for all views so
that every pair agrees, not only each view with the first.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..mocap.smoothing import fill_gaps, gaussian_smooth, sigma_for
from .skeleton import BODY_JOINTS

MIN_CONF = 0.5
HIGH_PASS_S = 0.25


@dataclass
class SyncResult:
    offsets: list[int]  # frames: view v's frame i + offsets[v] shows what the reference's frame i shows
    correlations: list[float]  # mean Pearson r of each view with the others at the chosen offsets
    method: str


def keypoint_speeds(xy: np.ndarray, conf: np.ndarray, fps: float) -> np.ndarray:
    """(F, J) speed of each body keypoint in pixels per frame, low-passed; NaN for keypoints never seen."""
    pts = np.where((conf[:, BODY_JOINTS] >= MIN_CONF)[..., None], xy[:, BODY_JOINTS], np.nan)
    seen = np.isfinite(pts[..., 0]).mean(axis=0) > 0.3
    out = np.full(pts.shape[:2], np.nan)
    if pts.shape[0] < 3 or not seen.any():
        return out
    filled = gaussian_smooth(fill_gaps(pts[:, seen]), sigma_for(fps, 1 / 60))
    speed = np.linalg.norm(np.gradient(filled, axis=0), axis=-1)
    # Without the slow part (a person walking toward one camera and across another): what is left, the
    # steps and swings, happens at the same instants in every view.
    out[:, seen] = speed - gaussian_smooth(speed, sigma_for(fps, HIGH_PASS_S))
    return out


def lag_curve(a: np.ndarray, b: np.ndarray, max_lag: int, min_overlap: int) -> np.ndarray:
    """Mean over keypoints of the Pearson r of a[i] with b[i + lag], for lag in -max_lag..max_lag."""
    out = np.full(2 * max_lag + 1, -1.0)
    for k, lag in enumerate(range(-max_lag, max_lag + 1)):
        i0, i1 = max(0, -lag), min(len(a), len(b) - lag)
        if i1 - i0 < min_overlap:
            continue
        x, y = a[i0:i1], b[i0 + lag:i1 + lag]
        x, y = x - x.mean(0), y - y.mean(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (x * y).sum(0) / np.sqrt((x * x).sum(0) * (y * y).sum(0))
        if np.isfinite(r).any():
            out[k] = float(np.nanmean(r))
    return out


def motion_offsets(views: list[tuple[np.ndarray, np.ndarray]], fps: float, max_lag_s: float = 1.0,
                   window: tuple[int, int] | None = None, reference: int = 0) -> SyncResult:
    """Offsets of each view (xy (F, 33, 2), conf (F, 33)) against the reference view.

    `window` (first, end) frames restricts the signals to a stretch of the take (the user's clap
    window); the lags are searched around it."""
    speeds = [keypoint_speeds(xy, conf, fps) for xy, conf in views]
    if window is not None:
        speeds = [s[max(0, window[0]):window[1]] for s in speeds]
    n = len(speeds)
    shortest = min(len(s) for s in speeds)
    max_lag = max(1, int(min(max_lag_s * fps, shortest // 3)))
    min_overlap = max(10, shortest // 2)
    curves = {(a, b): lag_curve(speeds[a], speeds[b], max_lag, min_overlap) for a in range(n) for b in range(n) if a < b}

    def pair(a: int, b: int, lag: int) -> float:  # r of a[i] with b[i + lag]
        if a > b:
            a, b, lag = b, a, -lag
        if abs(lag) > max_lag:
            return -1.0
        return curves[(a, b)][lag + max_lag]

    offsets = [0] * n
    for v in range(n):
        if v != reference:
            a, b = sorted((reference, v))
            best = int(np.argmax(curves[(a, b)])) - max_lag
            offsets[v] = best if a == reference else -best
    for _ in range(5):  # each view in turn to the lag that agrees best with all the others
        changed = False
        for v in range(n):
            if v == reference:
                continue
            scores = [sum(pair(u, v, lag - offsets[u]) for u in range(n) if u != v)
                      for lag in range(-max_lag, max_lag + 1)]
            best = int(np.argmax(scores)) - max_lag
            if best != offsets[v]:
                offsets[v], changed = best, True
        if not changed:
            break
    correlations = [round(float(np.mean([pair(u, v, offsets[v] - offsets[u]) for u in range(n) if u != v])), 3)
                    for v in range(n)]
    return SyncResult(offsets, correlations, "motion cross-correlation")


def aligned_frames(lengths: list[int], offsets: list[int]) -> tuple[int, int]:
    """Reference frames [first, end) that every view holds, given the offsets."""
    first = max(max(0, -o) for o in offsets)
    end = min(n - o for n, o in zip(lengths, offsets))
    return first, max(first, end)
