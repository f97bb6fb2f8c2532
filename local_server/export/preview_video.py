# SPDX-License-Identifier: GPL-3.0-or-later
"""RENDER_VIDEO: a preview MP4 of the skeleton, front view beside side view, drawn with numpy.

Workbench renders take ~3 s a frame on this kind of machine; drawing the projected bones takes
milliseconds, and a preview needs only to show the motion.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..motion import Motion
from ..video import Mp4Writer
from .drawing import draw_disc, draw_segment
from .skeleton_2d import body_skeleton, fit_projection, project

PANEL_W, PANEL_H = 320, 360
BACKGROUND = (38, 40, 46)
FLOOR = (90, 95, 105)
# World axes shown as (image x, image up): the front view looks along +Y at the actor's face,
# the side view along -X at the actor's left.
VIEWS = ((0, 2), (1, 2))


def write_preview_video(motion: Motion, out_path: Path) -> Path:
    skeleton = body_skeleton(motion)
    # The floor point (z = 0) joins the fit so the figure stands on a visible ground line.
    fitted = np.concatenate([skeleton.points.reshape(-1, 3), np.zeros((1, 3))])
    scale = min(fit_projection(fitted, axes, PANEL_W, PANEL_H)[0] for axes in VIEWS)
    views = []
    for axes in VIEWS:
        _, offset = fit_projection(fitted, axes, PANEL_W, PANEL_H, scale=scale)
        views.append((project(skeleton.points, axes, scale, offset), float(offset[1])))
    with Mp4Writer(out_path, PANEL_W * len(VIEWS), PANEL_H, motion.fps) as writer:
        for f in range(motion.frame_count):
            image = np.empty((PANEL_H, PANEL_W * len(VIEWS), 3), dtype=np.uint8)
            image[:] = BACKGROUND
            for v, (pixels, floor_y) in enumerate(views):
                panel = image[:, v * PANEL_W:(v + 1) * PANEL_W]  # a view: drawing writes through
                draw_segment(panel, (8, floor_y), (PANEL_W - 8, floor_y), 1.0, FLOOR)
                for (a, b), color in zip(skeleton.edges, skeleton.edge_colors):
                    draw_segment(panel, pixels[f, a], pixels[f, b], 2.5, color)
                for point in pixels[f]:
                    draw_disc(panel, point, 3.0, (255, 255, 255))
            writer.write(image)
    return Path(out_path)
