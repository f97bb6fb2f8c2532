# SPDX-License-Identifier: GPL-3.0-or-later
"""createVolumeWithHuman on the local server: the calibration clips in, the cameras out (TOML + metadata)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from ..processors.base import ProcessingFailed
from .calibration import CalibrationFailed, calibrate, focal_from_fov
from .cameras import write_toml
from .take import refine_offsets
from .views import follow_same_person, in_step, offsets_metadata, on_reference_timeline, track_views

#: Diagonal field of view (degrees) of each lens listCameraSettings offers: the first focal length guess.
LENS_FOV_DEG = {"iphone-main-wide": 79.0, "iphone-ultra-wide": 118.0, "android-main-wide": 80.0,
                "gopro-linear": 86.0, "generic-35mm": 63.0}
CAMERAS_FILE = "cameras.toml"


def calibrate_volume(sources: list[dict], human_height: float, clip_window, sync_method: dict | None,
                     out_dir: Path, cache_dir: Path | None, progress: Callable[[int], None] = lambda p: None
                     ) -> tuple[dict, Path]:
    """sources: [{deviceLabel, path, lens}]. Returns (metadata, TOML path); raises ProcessingFailed with
    the reason a user can act on."""
    views = track_views([(s["deviceLabel"], Path(s["path"])) for s in sources], clip_window, cache_dir,
                        progress=lambda f: progress(int(80 * f)))
    xy, conf, sync = in_step(views, sync_method)
    views, relinked = follow_same_person(views, sync, clip_window, cache_dir)
    if relinked:
        xy, conf, sync = in_step(views, sync_method)
    progress(82)
    guess = [focal_from_fov(v.size, LENS_FOV_DEG[s["lens"]]) if s.get("lens") in LENS_FOV_DEG else None
             for v, s in zip(views, sources)]
    try:
        cal = calibrate([v.label for v in views], [v.size for v in views], xy, conf, human_height,
                        focal_guess=guess if all(g is not None for g in guess) else None)
        if not (sync_method or {}).get("clapWindow"):
            # the cameras found settle the sync better than correlation; if it moves, calibrate again on it
            progress(90)
            offsets = refine_offsets(cal.cameras, views, sync.offsets)
            if offsets != sync.offsets:
                sync.offsets = offsets
                xy, conf = on_reference_timeline(views, offsets)
                cal = calibrate([v.label for v in views], [v.size for v in views], xy, conf, human_height,
                                focal_guess=[c.focal for c in cal.cameras])
    except CalibrationFailed as exc:
        raise ProcessingFailed(str(exc)) from None
    progress(98)
    out_dir.mkdir(parents=True, exist_ok=True)
    toml = write_toml(cal.cameras, out_dir / CAMERAS_FILE, cal.reprojection_px)
    cameras = {}
    for cam in cal.cameras:
        d = cam.as_dict()
        cameras[cam.name] = {k: d[k] for k in ("matrix", "distortions", "rotation", "translation", "size")}
        cameras[cam.name]["reprojectionErrorPx"] = cal.per_camera_px.get(cam.name)
        cameras[cam.name]["centre"] = [round(float(v), 4) for v in cam.center]
    metadata = {
        "cameras": cameras,
        "reprojectionErrorPx": round(cal.reprojection_px, 2),
        "medianReprojectionErrorPx": round(cal.median_px, 2),
        "calibration": {
            "method": "from the person (keypoints, relative poses, bundle adjustment)",
            "framesUsed": cal.frames_used, "floor": cal.floor_fit, "humanHeight": human_height,
            "leftRightRelabelled": cal.swapped_views, "sync": offsets_metadata(views, sync),
            "world": "metres, Z up, floor at Z = 0, the first camera looking along +Y",
        },
    }
    if any(v.people_at_start > 1 for v in views):
        metadata["calibration"]["note"] = (
            "Several people were in view; each camera followed the largest one at the start"
            + (f", except {', '.join(map(repr, relinked))}, which followed the person whose motion the other "
               "cameras saw" if relinked else "") + ".")
    if not np.isfinite(cal.reprojection_px):
        raise ProcessingFailed("Calibration did not converge; record the person walking across the whole area.")
    return metadata, toml
