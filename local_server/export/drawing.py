# SPDX-License-Identifier: GPL-3.0-or-later
"""Anti-aliased lines and discs on numpy RGB images, so the server draws skeletons without OpenCV."""
from __future__ import annotations

import numpy as np

Color = tuple[int, int, int]


def _blend(image: np.ndarray, x0: int, y0: int, coverage: np.ndarray, color: Color) -> None:
    h, w = coverage.shape
    region = image[y0:y0 + h, x0:x0 + w].astype(np.float32)
    a = coverage[..., None]
    region = region * (1.0 - a) + np.asarray(color, dtype=np.float32) * a
    image[y0:y0 + h, x0:x0 + w] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


def _window(image: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[int, int, int, int] | None:
    """Integer pixel box [x0, x1) x [y0, y1) around lo..hi clipped to the image, or None if outside."""
    height, width = image.shape[:2]
    x0, y0 = np.maximum(np.floor(lo).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(hi).astype(int) + 1, [width, height])
    if x0 >= x1 or y0 >= y1:
        return None
    return int(x0), int(y0), int(x1), int(y1)


def draw_segment(image: np.ndarray, p0, p1, radius: float, color: Color) -> None:
    """A line of half-width `radius` pixels with round ends from p0 to p1 (x, y pixel coordinates)."""
    p0 = np.asarray(p0, dtype=np.float32)
    p1 = np.asarray(p1, dtype=np.float32)
    if not (np.all(np.isfinite(p0)) and np.all(np.isfinite(p1))):
        return
    box = _window(image, np.minimum(p0, p1) - radius - 1, np.maximum(p0, p1) + radius + 1)
    if box is None:
        return
    x0, y0, x1, y1 = box
    xs = np.arange(x0, x1, dtype=np.float32)[None, :]
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    d = p1 - p0
    length2 = float(d @ d)
    if length2 > 1e-12:
        t = np.clip(((xs - p0[0]) * d[0] + (ys - p0[1]) * d[1]) / length2, 0.0, 1.0)
    else:
        t = np.zeros((1, 1), dtype=np.float32)
    dist = np.hypot(xs - (p0[0] + t * d[0]), ys - (p0[1] + t * d[1]))
    coverage = np.clip(radius + 0.5 - dist, 0.0, 1.0)
    _blend(image, x0, y0, coverage, color)


def draw_disc(image: np.ndarray, centre, radius: float, color: Color) -> None:
    draw_segment(image, centre, centre, radius, color)
