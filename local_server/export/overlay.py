# SPDX-License-Identifier: GPL-3.0-or-later
"""RENDER_OVERLAY_VIDEO: the clip window of the source video with a 2D skeleton drawn on each frame.

Frames stream from the decoder through the drawing into the encoder one at a time, so a long
video never sits in memory. The MP4 is H.264 at the source video's exact frame rate.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..processors.base import ProcessingFailed
from ..video import Mp4Writer, VideoInfo, probe_video, read_frames
from .drawing import draw_disc, draw_segment

DEFAULT_EDGE_COLOR = (0, 255, 120)
JOINT_COLOR = (255, 255, 255)


def draw_skeleton(image: np.ndarray, joints: np.ndarray, edges: Sequence[tuple[int, int]],
                  visible: np.ndarray | None = None, edge_colors: Sequence[tuple[int, int, int]] | None = None,
                  radius: float = 2.0) -> None:
    """Draw edges between joints (J, 2 pixel x, y) and a dot on each joint, skipping invisible joints."""
    shown = np.ones(len(joints), dtype=bool) if visible is None else np.asarray(visible, dtype=bool)
    for k, (a, b) in enumerate(edges):
        if shown[a] and shown[b]:
            color = edge_colors[k] if edge_colors is not None else DEFAULT_EDGE_COLOR
            draw_segment(image, joints[a], joints[b], radius, color)
    for j in np.flatnonzero(shown):
        draw_disc(image, joints[j], radius * 1.3, JOINT_COLOR)


def write_overlay_video(video_path: Path, frames: range, joints_px: np.ndarray, edges: Sequence[tuple[int, int]],
                        out_path: Path, info: VideoInfo | None = None, visibility: np.ndarray | None = None,
                        edge_colors: Sequence[tuple[int, int, int]] | None = None,
                        progress=None) -> Path:
    """Write the overlay MP4 for video frames `frames`; joints_px is (len(frames), J, 2) in pixels.

    visibility, when given, is (len(frames), J): a joint drawn only where it is true (or > 0.5).
    progress, when given, is called with the fraction done (0..1) every few frames.
    """
    info = info or probe_video(video_path)
    joints_px = np.asarray(joints_px, dtype=np.float32)
    if joints_px.ndim != 3 or joints_px.shape[0] != len(frames) or joints_px.shape[2] != 2:
        raise ValueError(f"joints_px must be ({len(frames)}, J, 2), got {joints_px.shape}")
    if visibility is not None:
        visibility = np.asarray(visibility) > 0.5
    # yuv420p needs even sizes: an odd column or row is padded by repeating the edge.
    pad_w, pad_h = info.width % 2, info.height % 2
    radius = max(1.5, min(info.width, info.height) / 160.0)
    written = 0
    with Mp4Writer(out_path, info.width + pad_w, info.height + pad_h, info.fps) as writer:
        for k, frame in enumerate(read_frames(video_path, frames, info)):
            image = np.array(frame)  # the decoder's buffer is read-only
            draw_skeleton(image, joints_px[k], edges, None if visibility is None else visibility[k],
                          edge_colors, radius)
            if pad_w or pad_h:
                image = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
            writer.write(image)
            written += 1
            if progress is not None and written % 8 == 0:
                progress(written / len(frames))
        if written != len(frames):
            raise ProcessingFailed(
                f"The video ended after {written} of the {len(frames)} frames of the clip window."
            )
    return Path(out_path)
