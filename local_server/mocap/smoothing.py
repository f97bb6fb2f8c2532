# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline, zero-phase temporal filtering of landmark tracks (no lag: the whole take is known)."""
from __future__ import annotations

import numpy as np


def fill_gaps(x: np.ndarray) -> np.ndarray:
    """Linearly interpolate rows that hold NaN along axis 0; the ends hold the nearest seen value."""
    x = np.array(x, dtype=np.float64)
    flat = x.reshape(x.shape[0], -1)
    t = np.arange(x.shape[0])
    for k in range(flat.shape[1]):
        col = flat[:, k]
        ok = np.isfinite(col)
        if ok.all() or not ok.any():
            continue
        col[~ok] = np.interp(t[~ok], t[ok], col[ok])
    return flat.reshape(x.shape)


def gaussian_smooth(x: np.ndarray, sigma_frames: float) -> np.ndarray:
    """Gaussian filter along axis 0 with mirrored ends; forward and backward at once, so no lag."""
    if sigma_frames <= 0.05 or x.shape[0] < 2:
        return np.array(x, dtype=np.float64)
    radius = int(np.ceil(3 * sigma_frames))
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma_frames) ** 2)
    k /= k.sum()
    n = x.shape[0]
    idx = np.arange(-radius, n + radius)
    # reflect indices so the ends are not pulled toward zero
    period = 2 * (n - 1) if n > 1 else 1
    idx = np.abs(np.mod(idx, period))
    idx = np.where(idx >= n, period - idx, idx)
    padded = np.asarray(x, dtype=np.float64)[idx]
    out = np.zeros_like(np.asarray(x, dtype=np.float64))
    for j, w in enumerate(k):
        out += w * padded[j:j + n]
    return out


def sigma_for(fps: float, seconds: float) -> float:
    """A filter width given in seconds, in frames of this video."""
    return max(0.0, seconds * fps)
