# SPDX-License-Identifier: GPL-3.0-or-later
"""Accuracy and speed of the `mediapipe` processor on a rendered clip with exact ground truth.

    .venv/bin/python -m benchmarks.mocap [--rerender]

Renders the truth clip once (benchmarks/out/mocap/, cached, git-ignored), then prints the mean
absolute joint-angle error (elbows, knees, shoulders, hips) of raw MediaPipe world landmarks and
of our output read back from the exported FBX in bpy, and the processing speed of our processor
and of a bare MediaPipe loop over the same clip. Results also go to benchmarks/out/mocap/results.json.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "benchmarks" / "out" / "mocap"
ANGLES = ["LeftElbow", "RightElbow", "LeftKnee", "RightKnee", "LeftShoulder", "RightShoulder", "LeftHip", "RightHip"]


def joint_angles(get) -> dict[str, np.ndarray]:
    """The angle (degrees) at each benchmark joint, from a function giving a joint's (F, 3) positions."""
    from local_server.mocap.lifting import joint_angle

    out = {}
    for s in ("Left", "Right"):
        out[f"{s}Elbow"] = joint_angle(get(f"{s}Shoulder"), get(f"{s}Elbow"), get(f"{s}Wrist"))
        out[f"{s}Knee"] = joint_angle(get(f"{s}Hip"), get(f"{s}Knee"), get(f"{s}Ankle"))
        out[f"{s}Shoulder"] = joint_angle(get(f"{s}Elbow"), get(f"{s}Shoulder"), get(f"{s}Hip"))
        out[f"{s}Hip"] = joint_angle(get(f"{s}Knee"), get(f"{s}Hip"), get(f"{s}Shoulder"))
    return out


def ensure_truth(rerender: bool) -> Path:
    """Render the clip unless a render from the same scene script is cached."""
    stamp = hashlib.sha256((ROOT / "benchmarks" / "mocap" / "scene.py").read_bytes()).hexdigest()[:16]
    stamp_file = OUT / "scene.stamp"
    if (not rerender and stamp_file.exists() and stamp_file.read_text() == stamp
            and (OUT / "clip.mp4").exists() and (OUT / "truth.npz").exists()):
        return OUT
    OUT.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    print("rendering the ground-truth clip (Workbench, 640x480) ...", flush=True)
    subprocess.run([sys.executable, "-m", "benchmarks.mocap.scene", str(OUT)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    stamp_file.write_text(stamp)
    print(f"  rendered in {time.perf_counter() - t:.0f} s", flush=True)
    return OUT


def bare_mediapipe(clip: Path) -> tuple[np.ndarray, float]:
    """World landmarks (F, 33, 3) and wall seconds of the plainest loop: decode, Pose.process, keep."""
    import mediapipe as mp

    from local_server.video import read_frames

    t = time.perf_counter()
    rows = []
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        for rgb in read_frames(clip):
            r = pose.process(rgb)
            rows.append([(p.x, p.y, p.z) for p in r.pose_world_landmarks.landmark] if r.pose_world_landmarks
                        else np.full((33, 3), np.nan))
    return np.array(rows, dtype=float), time.perf_counter() - t


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from local_server.mocap import pose_tracking as P
    from local_server.processors.base import JobSpec
    from local_server.processors.mediapipe import MediaPipeProcessor

    out = ensure_truth("--rerender" in argv)
    truth = np.load(out / "truth.npz")
    names = [str(n) for n in truth["joint_names"]]
    gt = joint_angles(lambda n: truth["joints"][:, names.index(n)])
    frames = truth["joints"].shape[0]
    clip = out / "clip.mp4"

    mp_index = {f"{s}{j}": getattr(P, f"{s[0]}_{j.upper()}") for s in ("Left", "Right")
                for j in ("Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle")}
    world, bare_s = bare_mediapipe(clip)
    raw = joint_angles(lambda n: world[:, mp_index[n]])

    processor = MediaPipeProcessor()
    with tempfile.TemporaryDirectory(prefix="mocap-bench-") as tmp:
        t = time.perf_counter()
        result = processor.process(JobSpec("bench", clip, ["MAIN_FBX"]), Path(tmp), lambda pct: None)
        ours_s = time.perf_counter() - t
        back = Path(tmp) / "back.npz"
        subprocess.run([sys.executable, "-m", "benchmarks.mocap.read_fbx", str(result.files["MAIN_FBX"]),
                        str(float(truth["fps"])), str(frames), str(back)], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        fbx = np.load(back)
    fbx_names = [str(n) for n in fbx["joint_names"]]
    ours = joint_angles(lambda n: fbx["joints"][:, fbx_names.index(n)])

    def err(est: dict) -> dict:
        return {k: float(np.nanmean(np.abs(est[k] - gt[k]))) for k in ANGLES}

    raw_err, ours_err = err(raw), err(ours)
    print(f"\nMean absolute joint-angle error over {frames} frames (degrees)")
    print(f"{'joint':15s}{'raw MediaPipe':>15s}{'ours (FBX)':>12s}")
    for k in ANGLES:
        print(f"{k:15s}{raw_err[k]:15.1f}{ours_err[k]:12.1f}")
    overall_raw, overall_ours = float(np.mean(list(raw_err.values()))), float(np.mean(list(ours_err.values())))
    print(f"{'overall':15s}{overall_raw:15.1f}{overall_ours:12.1f}")
    bare_fps, ours_fps = frames / bare_s, frames / ours_s
    print(f"\nSpeed over the same {frames} frames (640x480):")
    print(f"  bare MediaPipe loop (decode + Pose):          {bare_fps:6.1f} fps")
    print(f"  our processor (track + lift + retarget + FBX): {ours_fps:6.1f} fps  ({ours_s:.1f} s)")
    print(f"  ratio ours / bare:                             {ours_fps / bare_fps:6.2f}")
    results = {"frames": frames, "angle_error_deg": {"raw_mediapipe": raw_err, "ours_fbx": ours_err,
               "overall_raw": overall_raw, "overall_ours": overall_ours},
               "fps": {"bare_mediapipe": bare_fps, "ours": ours_fps, "ratio": ours_fps / bare_fps},
               "tracking": result.metadata.get("tracking")}
    (out / "results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
