# SPDX-License-Identifier: GPL-3.0-or-later
"""Multicam figures on Pose2Sim's four-camera demos, against the lab's calibration.

    .venv/bin/python -m benchmarks.multicam

Calibrates a volume from the person in Demo_SinglePerson (the set calibration was developed on)
and compares its cameras with the lab's (Calib.qca.txt) after a similarity alignment. Then
processes Demo_MultiPerson (the acceptance set: same cameras, other people in view, never tuned
on) with that volume, as a take recorded after the calibration, and compares joint angles with
the 3D reference triangulated from the same 2D keypoints with the lab's calibration; the baseline
beside it is the single-camera pipeline on each view of the same take. Speed is wall time against
the recording's duration. Results go to benchmarks/out/multicam/results.json.
"""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np

from local_server.mocap import pose_tracking as P
from local_server.mocap.lifting import joint_angle
from local_server.multicam.calibration import calibrate
from local_server.multicam.take import (MulticamSpec, fit_to_videos, motion_from_points, refine_offsets,
                                       triangulate_take)
from local_server.multicam.triangulation import triangulate
from local_server.multicam.views import in_step, on_reference_timeline, track_views
from local_server.multicam.volume import LENS_FOV_DEG, focal_from_fov

from .compare import compare_cameras
from .pose2sim_demo import CAMERAS, demo_videos, lab_cameras

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "benchmarks" / "out" / "multicam"
HEIGHT_M = 1.72  # Pose2Sim's demo participant (Config.toml: participant_height)
ANGLES = {
    "LeftKnee": (P.L_HIP, P.L_KNEE, P.L_ANKLE), "RightKnee": (P.R_HIP, P.R_KNEE, P.R_ANKLE),
    "LeftHip": (P.L_SHOULDER, P.L_HIP, P.L_KNEE), "RightHip": (P.R_SHOULDER, P.R_HIP, P.R_KNEE),
    "LeftElbow": (P.L_SHOULDER, P.L_ELBOW, P.L_WRIST), "RightElbow": (P.R_SHOULDER, P.R_ELBOW, P.R_WRIST),
    "LeftShoulder": (P.L_HIP, P.L_SHOULDER, P.L_ELBOW), "RightShoulder": (P.R_HIP, P.R_SHOULDER, P.R_ELBOW),
    "LeftAnkle": (P.L_KNEE, P.L_ANKLE, P.L_FOOT), "RightAnkle": (P.R_KNEE, P.R_ANKLE, P.R_FOOT),
}


def angle_errors(points: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """Mean absolute difference (degrees) of each joint angle over the frames both define."""
    out = {}
    for name, (a, b, c) in ANGLES.items():
        d = np.abs(joint_angle(points[:, a], points[:, b], points[:, c])
                   - joint_angle(reference[:, a], reference[:, b], reference[:, c]))
        d = d[np.isfinite(d)]
        out[name] = float(d.mean()) if d.size else float("nan")
    return out


def foot_slide_cm_s(points: np.ndarray, fps: float) -> float:
    """Median horizontal speed (cm/s) of the lower foot's heel in frames where it is nearly still and low."""
    from local_server.multicam.take import world_joints
    from local_server.mocap.grounding import planted

    w = world_joints(points, fps)
    contact = planted(w, fps)
    heels = w[:, [P.L_HEEL, P.R_HEEL], :2]
    speed = np.linalg.norm(np.gradient(heels, axis=0), axis=-1) * fps * 100
    s = speed[contact]
    return float(np.median(s)) if s.size else float("nan")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    lab = lab_cameras()
    results: dict = {}
    cache = Path(tempfile.mkdtemp(prefix="multicam-bench-"))  # fresh: the tracking is timed too
    labels = list(CAMERAS)

    # -- calibration on Demo_SinglePerson (tuning set) ---------------------------------------------
    calib_videos = demo_videos("Demo_SinglePerson")
    t0 = time.perf_counter()
    views = track_views(list(zip(labels, calib_videos)), None, cache)
    t_track = time.perf_counter() - t0
    duration = len(views[0].xy) / views[0].fps
    t0 = time.perf_counter()
    xy, conf, sync = in_step(views)
    guess = [focal_from_fov(v.size, LENS_FOV_DEG["generic-35mm"]) for v in views]
    cal = calibrate(labels, [v.size for v in views], xy, conf, HEIGHT_M, focal_guess=guess)
    first_offsets = list(sync.offsets)
    sync.offsets = refine_offsets(cal.cameras, views, sync.offsets)  # as the server's volume does
    if sync.offsets != first_offsets:
        xy, conf = on_reference_timeline(views, sync.offsets)
        cal = calibrate(labels, [v.size for v in views], xy, conf, HEIGHT_M, focal_guess=[c.focal for c in cal.cameras])
    t_solve = time.perf_counter() - t0
    cmp = compare_cameras(cal.cameras, lab)
    lab_tri = triangulate(fit_to_videos(lab, views), np.nan_to_num(xy), conf)
    our_tri = triangulate(cal.cameras, np.nan_to_num(xy), conf)
    results["calibration"] = {
        "set": "Demo_SinglePerson (tuning)", "syncOffsets": {"correlation": first_offsets, "refined": sync.offsets},
        "centreErrorM": {k: round(v["centre_m"], 4) for k, v in cmp["cameras"].items()},
        "orientationErrorDeg": {k: round(v["orientation_deg"], 3) for k, v in cmp["cameras"].items()},
        "focalRatio": {k: round(v["focal_ratio"], 4) for k, v in cmp["cameras"].items()},
        "scaleToLab": round(cmp["scale"], 4),
        "reprojectionMedianPx": {"ours": round(float(np.nanmedian(our_tri.error_px)), 2),
                                 "lab": round(float(np.nanmedian(lab_tri.error_px)), 2)},
        "bundleRmsPx": round(cal.reprojection_px, 2),
        "seconds": {"tracking": round(t_track, 2), "solve": round(t_solve, 2), "recording": round(duration, 3)},
    }

    # -- a later take with the same cameras: Demo_MultiPerson (acceptance set) with that volume ----
    volume_cameras = {c.name: c.as_dict() for c in cal.cameras}
    for demo, role in (("Demo_SinglePerson", "tuning"), ("Demo_MultiPerson", "acceptance")):
        videos = demo_videos(demo)
        spec = MulticamSpec(job_id=f"bench-{demo}", sources=list(zip(labels, videos)), volume_id="bench",
                            volume_state="FINISHED", volume_cameras=volume_cameras, outputs=[], cache_dir=cache)
        t0 = time.perf_counter()
        mviews, tri, msync, relinked = triangulate_take(spec, cal.cameras, lambda p: None)
        t_take = time.perf_counter() - t0
        t0 = time.perf_counter()
        motion_from_points(tri.points, mviews[0].fps, 0.0)
        t_rig = time.perf_counter() - t0
        # the reference: the same 2D keypoints, in the same step, triangulated with the lab's cameras
        mxy, mconf = on_reference_timeline(mviews, msync.offsets)
        ref = triangulate(fit_to_videos(lab, mviews), np.nan_to_num(mxy), mconf).points
        ours = angle_errors(tri.points, ref)
        # baseline: the single-camera pipeline on each view of the same take
        from local_server.mocap.pipeline import motion_from_track
        from local_server.mocap.pose_tracking import track_pose

        mono = {}
        t_mono = []
        for label, video, off in zip(labels, videos, msync.offsets):
            if label in relinked:
                continue  # alone, that camera follows someone else: no fair baseline
            t0 = time.perf_counter()
            track = track_pose(video)
            _, lifted = motion_from_track(track)
            t_mono.append(time.perf_counter() - t0)
            joints = np.full((len(ref),) + lifted.joints.shape[1:], np.nan)
            rows = np.arange(len(ref)) + off
            ok = (rows >= 0) & (rows < len(lifted.joints))
            joints[ok] = lifted.joints[rows[ok]]
            mono[label] = angle_errors(joints, ref)
        dur = len(mviews[0].xy) / mviews[0].fps
        results[demo] = {
            "role": role, "relinkedCameras": relinked, "syncOffsets": msync.offsets,
            "jointAngleErrorDeg": {"multicam": {k: round(v, 2) for k, v in ours.items()},
                                   "multicamMean": round(float(np.nanmean(list(ours.values()))), 2),
                                   "monocularMean": {k: round(float(np.nanmean(list(v.values()))), 2)
                                                     for k, v in mono.items()},
                                   "monocularNote": "cameras relinked to the person the others follow are left out"},
            "footSlideCmPerS": {"multicam": round(foot_slide_cm_s(tri.points, mviews[0].fps), 2),
                                "labReference": round(foot_slide_cm_s(ref, mviews[0].fps), 2)},
            "triangulationMedianPx": round(float(np.nanmedian(tri.error_px)), 2),
            "seconds": {"trackSyncTriangulate": round(t_take, 2), "rig": round(t_rig, 2),
                        "monocularPerView": round(float(np.mean(t_mono)), 2), "recording": round(dur, 3)},
        }
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    c = results["calibration"]
    print("\nfigure | ours | baseline | target | met")
    worst_c, worst_o = max(c["centreErrorM"].values()), max(c["orientationErrorDeg"].values())
    print(f"camera centre error (max of 4) | {worst_c * 100:.1f} cm | lab calibration | < 5 cm | "
          f"{'yes' if worst_c < 0.05 else 'NO'}")
    print(f"camera orientation error (max) | {worst_o:.2f} deg | lab calibration | < 1 deg | "
          f"{'yes' if worst_o < 1 else 'NO'}")
    print(f"reprojection median | {c['reprojectionMedianPx']['ours']} px | {c['reprojectionMedianPx']['lab']} px (lab) "
          f"| | ratio {c['reprojectionMedianPx']['ours'] / c['reprojectionMedianPx']['lab']:.2f}")
    for demo in ("Demo_SinglePerson", "Demo_MultiPerson"):
        r = results[demo]
        mono = r["jointAngleErrorDeg"]["monocularMean"]
        print(f"{demo} ({r['role']}) joint-angle error | {r['jointAngleErrorDeg']['multicamMean']} deg | monocular "
              f"{min(mono.values())}-{max(mono.values())} deg | <= 5 deg | "
              f"{'yes' if r['jointAngleErrorDeg']['multicamMean'] <= 5 else 'NO'}")
    s = c["seconds"]
    print(f"calibration speed | {(s['tracking'] + s['solve']) / s['recording']:.1f}x real time "
          f"(tracking {s['tracking'] / s['recording']:.1f}x, solve {s['solve'] / s['recording']:.1f}x) | "
          f"single-cam tracking of one view {results['Demo_SinglePerson']['seconds']['monocularPerView'] / s['recording']:.1f}x")
    for demo in ("Demo_SinglePerson", "Demo_MultiPerson"):
        s = results[demo]["seconds"]
        how = "tracks cached by the calibration" if demo == "Demo_SinglePerson" else "four views tracked"
        print(f"{demo} job speed | {(s['trackSyncTriangulate'] + s['rig']) / s['recording']:.1f}x real time "
              f"({how}) | single-cam per view {s['monocularPerView'] / s['recording']:.1f}x")


if __name__ == "__main__":
    main()
