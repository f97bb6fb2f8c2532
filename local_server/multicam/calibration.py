# SPDX-License-Identifier: GPL-3.0-or-later
"""Cameras calibrated from the person they all film: intrinsics and poses from 2D keypoints over time.

1. The pair of views that agrees best gives a relative pose (essential matrix, RANSAC), with the
   focal length a lens prior suggests scanned for the one most keypoints agree with;
2. the other views are placed against the joints triangulated from that pair (PnP, RANSAC);
3. keypoints MediaPipe labelled left-for-right in a view (a person seen from behind) are swapped back
   where the swap agrees better with the other views;
4. bundle adjustment refines every camera's rotation, position and focal length with the joints;
5. the scale comes from the person's height, the floor (Z = 0, Z up) from where the feet rest, and the
   first camera looks along +Y, so a person facing it faces -Y as Move's rig does.
Principal points stay at the image centre and lens distortion at zero: a walking person cannot
pin those down, and modern phone and action-camera videos arrive already undistorted.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .bundle import Observations, bundle_adjust
from .cameras import CameraModel
from .skeleton import BODY_JOINTS, FOOT_JOINTS, standing_height
from .triangulation import fix_left_right, triangulate
from ..mocap import pose_tracking as P

MIN_CONF = 0.5
SPREAD = 0.1
MIN_SHARED_FRAMES = 15  # frames in which every camera sees the person
#: Diagonal fields of view (degrees) to scan for the first focal length guess.
FOV_SCAN_DEG = (45.0, 55.0, 65.0, 75.0, 90.0, 110.0)


class CalibrationFailed(Exception):
    """The recording cannot calibrate these cameras; the message says what to change."""


@dataclass
class Calibration:
    cameras: list[CameraModel]
    reprojection_px: float  # RMS over the keypoints kept
    median_px: float
    frames_used: int
    body_height_units: float  # the person's height before scaling (bundle units)
    floor_fit: str  # "feet" when the feet gave the floor plane, "body" when only the body's up did
    swapped_views: dict = field(default_factory=dict)  # camera name -> frames relabelled left/right
    per_camera_px: dict = field(default_factory=dict)


def _intrinsics(focal: float, size) -> np.ndarray:
    return np.array([[focal, 0, size[0] / 2], [0, focal, size[1] / 2], [0, 0, 1.0]])


def focal_from_fov(size, diagonal_fov_deg: float) -> float:
    return float(np.hypot(*size) / 2 / np.tan(np.radians(diagonal_fov_deg) / 2))


def check_coverage(names: list[str], conf: np.ndarray, min_frames: int = MIN_SHARED_FRAMES) -> np.ndarray:
    """Frames (bool, F) in which every view sees enough of the person; CalibrationFailed otherwise."""
    seen = (conf[..., BODY_JOINTS] >= MIN_CONF).sum(axis=-1) >= 8  # (V, F)
    for v, name in enumerate(names):
        if not seen[v].any():
            raise CalibrationFailed(
                f"Camera {name!r} never sees the person: no frame of its calibration clip shows them. Point it at "
                "the area where the person walks, or leave it out of the volume.")
    shared = seen.all(axis=0)
    if shared.sum() < min_frames:
        raise CalibrationFailed(
            f"Only {int(shared.sum())} frames show the person to every camera at once; calibration needs at least "
            f"{min_frames}. Record the person walking around the middle of the area, whole body in every view, for "
            "about 10 seconds.")
    return shared


def _pair_pose(na: np.ndarray, nb: np.ndarray, threshold: float):
    import cv2

    e, mask = cv2.findEssentialMat(na, nb, np.eye(3), method=cv2.RANSAC, prob=0.99, threshold=threshold, maxIters=200)
    if e is None or e.shape != (3, 3):
        return None
    count, r, t, mask2 = cv2.recoverPose(e, na, nb, np.eye(3), mask=mask)
    return int(count), r, t.reshape(3), mask2.reshape(-1) > 0


def _correspondences(xy, conf, a, b, frames, limit: int = 600):
    ok = (conf[a][frames] >= MIN_CONF) & (conf[b][frames] >= MIN_CONF)
    ok[:, np.setdiff1d(np.arange(conf.shape[2]), BODY_JOINTS)] = False
    fi, ji = np.nonzero(ok)
    if len(fi) > limit:  # evenly over the take: enough for a relative pose, and RANSAC stays quick
        keep = np.linspace(0, len(fi) - 1, limit).astype(int)
        fi, ji = fi[keep], ji[keep]
    frame_ids = np.flatnonzero(frames)[fi]
    return frame_ids, ji, xy[a][frame_ids, ji], xy[b][frame_ids, ji]


def _initial_cameras(names, sizes, xy, conf, frames, focal_guess):
    """Cameras in an arbitrary frame and scale from the best pair plus PnP for the rest."""
    import cv2

    v_count = len(names)
    best = None
    candidates = ([list(focal_guess)] if focal_guess is not None else []) + [
        [focal_from_fov(s, fov) for s in sizes] for fov in FOV_SCAN_DEG]
    for focals in candidates:
        for a in range(v_count):
            for b in range(a + 1, v_count):
                _, _, pa, pb = _correspondences(xy, conf, a, b, frames)
                if len(pa) < 30:
                    continue
                na = (pa - np.array(sizes[a]) / 2) / focals[a]
                nb = (pb - np.array(sizes[b]) / 2) / focals[b]
                thr = 6.0 / np.sqrt(focals[a] * focals[b])  # about 6 px
                got = _pair_pose(na, nb, thr)
                if got is None:
                    continue
                score = got[0] / len(pa)
                if best is None or score > best[0]:
                    best = (score, a, b, list(focals), got)
    if best is None:
        raise CalibrationFailed("No two cameras see enough of the person at the same time to be related; film "
                                "the person where the views overlap.")
    _, a, b, focals, (_, r_ab, t_ab, inliers) = best
    rot = [None] * v_count
    trans = [None] * v_count
    rot[a], trans[a] = np.eye(3), np.zeros(3)
    rot[b], trans[b] = r_ab, t_ab
    cams = {i: CameraModel(names[i], sizes[i], _intrinsics(focals[i], sizes[i]), rot[i], trans[i]) for i in (a, b)}
    tri = triangulate([cams[a], cams[b]], xy[[a, b]], np.where(frames[None, :, None], conf[[a, b]], 0.0),
                      min_conf=MIN_CONF)
    pts3 = tri.points
    for c in range(v_count):
        if c in cams:
            continue
        ok = (conf[c] >= MIN_CONF) & np.isfinite(pts3[..., 0])
        ok[:, np.setdiff1d(np.arange(conf.shape[2]), BODY_JOINTS)] = False
        if ok.sum() < 12:
            raise CalibrationFailed(f"Camera {names[c]!r} shares too few views of the person with the others to "
                                    "be placed; film the person where its view overlaps theirs.")
        obj = pts3[ok].astype(np.float64)
        img = xy[c][ok].astype(np.float64)
        k = _intrinsics(focals[c], sizes[c])
        good, rvec, tvec, _ = cv2.solvePnPRansac(obj, img, k, None, reprojectionError=12.0, iterationsCount=300,
                                                 flags=cv2.SOLVEPNP_EPNP)
        if not good:
            raise CalibrationFailed(f"Camera {names[c]!r} could not be placed from the person's keypoints.")
        r, _ = cv2.Rodrigues(rvec)
        cams[c] = CameraModel(names[c], sizes[c], k, r, tvec.reshape(3))
    return [cams[i] for i in range(v_count)]


def _bundle(cameras, xy, conf, frames, loss_scale, fix_focal=False):
    tri = triangulate(cameras, xy, np.where(frames[None, :, None], conf, 0.0), min_conf=MIN_CONF)
    pts = tri.points
    mask = np.zeros(pts.shape[:2], bool)
    mask[:, BODY_JOINTS] = True
    mask &= np.isfinite(pts[..., 0]) & frames[:, None]
    idx = -np.ones(mask.shape, int)
    idx[mask] = np.arange(mask.sum())
    cams, points, uvs, weights = [], [], [], []
    for v in range(len(cameras)):
        ok = mask & (conf[v] >= MIN_CONF)
        cams.append(np.full(ok.sum(), v))
        points.append(idx[ok])
        uvs.append(xy[v][ok])
        weights.append(conf[v][ok])
    obs = Observations(np.concatenate(cams), np.concatenate(points), np.concatenate(uvs), np.concatenate(weights))
    result = bundle_adjust([c.rotation for c in cameras], [c.translation for c in cameras],
                           [c.focal for c in cameras], [c.matrix[:2, 2] for c in cameras], pts[mask], obs,
                           loss_scale=loss_scale, fix_focal=fix_focal)
    out = [CameraModel(c.name, c.size, _intrinsics(result.focals[i], c.size), result.rotations[i],
                       result.translations[i]) for i, c in enumerate(cameras)]
    return out, result, obs


UNSOLVED = ("The cameras could not be measured from this recording: the person moved too little, or was hidden "
            "too often, for the depth between the cameras to show. Record them walking across the whole area and "
            "turning, arms and legs moving, whole body in every view, for about 10 seconds.")
#: Limbs whose length must hold still over the take when the cameras are right.
_LIMBS = ((P.L_HIP, P.L_KNEE), (P.R_HIP, P.R_KNEE), (P.L_KNEE, P.L_ANKLE), (P.R_KNEE, P.R_ANKLE),
          (P.L_SHOULDER, P.L_ELBOW), (P.R_SHOULDER, P.R_ELBOW), (P.L_SHOULDER, P.R_SHOULDER), (P.L_HIP, P.R_HIP))


def _check_plausible(cameras, points) -> None:
    """A bundle adjustment can fit keypoints with a wrong world (a telephoto-flat one when the person barely
    moves); refuse it rather than hand out cameras that are wrong: lenses between 15 and 150 degrees
    diagonal, and the person's limbs keeping their length (within 20%) through the take."""
    for c in cameras:
        fov = np.degrees(2 * np.arctan(np.hypot(*c.size) / 2 / c.focal))
        if not 15 <= fov <= 150:
            raise CalibrationFailed(UNSOLVED)
    spread = []
    for a, b in _LIMBS:
        d = np.linalg.norm(points[:, a] - points[:, b], axis=-1)
        d = d[np.isfinite(d)]
        if d.size >= 5:
            spread.append(np.std(d) / np.median(d))
    if not spread or np.median(spread) > 0.2:
        raise CalibrationFailed(UNSOLVED)


def _similarity(cameras, scale, rot, origin):
    """Cameras after X_new = scale * rot @ X_old + origin."""
    out = []
    for c in cameras:
        r_new = c.rotation @ rot.T
        t_new = scale * c.translation - r_new @ origin
        out.append(CameraModel(c.name, c.size, c.matrix.copy(), r_new, t_new, c.distortions.copy()))
    return out


def _floor_frame(points: np.ndarray, cameras):
    """Rotation (rows: world X, Y, Z in bundle coordinates) and floor height, from the feet and body."""
    body_up = (points[:, P.L_SHOULDER] + points[:, P.R_SHOULDER]) / 2 - (points[:, P.L_ANKLE] + points[:, P.R_ANKLE]) / 2
    body_up = body_up[np.isfinite(body_up).all(1)]
    up = np.median(body_up / np.linalg.norm(body_up, axis=1, keepdims=True), axis=0)
    up /= np.linalg.norm(up)
    feet = points[:, FOOT_JOINTS].reshape(-1, 3)
    feet = feet[np.isfinite(feet).all(1)]
    how = "body"
    if len(feet) >= 20:
        h = feet @ up
        low = feet[h <= np.percentile(h, 30)]  # the feet at rest on the floor
        centred = low - low.mean(0)
        _, sv, vt = np.linalg.svd(centred, full_matrices=False)
        normal = vt[2] * np.sign(vt[2] @ up)
        spread = sv[1] / np.sqrt(len(low))
        # trust the feet's plane when they covered some floor and it agrees with the body's up
        if spread > SPREAD * standing_height(points) and np.degrees(np.arccos(np.clip(normal @ up, -1, 1))) < 15:
            up, how = normal, "feet"
    z = up
    look = cameras[0].rotation[2]  # camera 0's optical axis in the world
    y = look - (look @ z) * z
    if np.linalg.norm(y) < 1e-6:
        y = np.cross(z, [1.0, 0, 0])
    y /= np.linalg.norm(y)
    x = np.cross(y, z)
    rot = np.stack([x, y, z])
    floor = float(np.percentile(feet @ z, 5)) if len(feet) else float(np.nanmin(points[..., :] @ z))
    return rot, floor, how


def calibrate(names: list[str], sizes: list[tuple[int, int]], xy: np.ndarray, conf: np.ndarray, human_height: float,
              focal_guess: list[float] | None = None) -> Calibration:
    """names/sizes per view; xy (V, F, 33, 2) pixels and conf (V, F, 33), frames already in sync."""
    xy = np.asarray(xy, float)
    conf = np.where(np.isfinite(xy).all(-1), np.asarray(conf, float), 0.0)
    xy = np.nan_to_num(xy)
    frames = check_coverage(names, conf)
    diag = float(np.mean([np.hypot(*s) for s in sizes]))
    cameras = _initial_cameras(names, sizes, xy, conf, frames, focal_guess)
    loss = 0.006 * diag  # ~13 px in HD: MediaPipe's keypoints scatter a few pixels, wrong ones far more
    cameras, result, _ = _bundle(cameras, xy, conf, frames, loss, fix_focal=True)
    xy, conf, swapped = fix_left_right(cameras, xy, conf, frames, min_conf=MIN_CONF)
    cameras, result, obs = _bundle(cameras, xy, conf, frames, loss)
    if not np.all(np.isfinite(result.focals)) or np.any(result.focals <= 0):
        raise CalibrationFailed(UNSOLVED)
    # scale, floor and axes
    tri = triangulate(cameras, xy, np.where(frames[None, :, None], conf, 0.0), min_conf=MIN_CONF)
    _check_plausible(cameras, tri.points)
    height_units = standing_height(tri.points)
    if not np.isfinite(height_units) or height_units <= 0:
        raise CalibrationFailed("The person's height could not be measured in the views; film them whole, head to "
                                "feet, in every camera.")
    scale = human_height / height_units
    rot, _, how = _floor_frame(tri.points, cameras)
    pts = tri.points * scale @ rot.T
    feet = pts[:, FOOT_JOINTS].reshape(-1, 3)
    feet = feet[np.isfinite(feet).all(1)]
    hips = (pts[:, P.L_HIP] + pts[:, P.R_HIP]) / 2
    centre = np.nanmedian(hips, axis=0)
    origin = -np.array([centre[0], centre[1], np.percentile(feet[:, 2], 5)])
    cameras = _similarity(cameras, scale, rot, origin)
    per_cam = {}
    res = np.linalg.norm(
        np.stack([cameras[v].project(tri.points * scale @ rot.T + origin) - xy[v] for v in range(len(cameras))]), axis=-1)
    used = np.transpose(tri.views_used, (2, 0, 1))
    for v, c in enumerate(cameras):
        r = res[v][used[v]]
        per_cam[c.name] = round(float(np.sqrt(np.mean(r[r < 3 * loss] ** 2))), 2) if r.size else None
    return Calibration(cameras, result.rms_px, result.median_px, int(frames.sum()), height_units, how,
                       {names[v]: n for v, n in swapped.items()}, per_cam)
