# SPDX-License-Identifier: GPL-3.0-or-later
"""Accuracy and speed of the `mediapipe` processor, beside raw MediaPipe in the same run.

    .venv/bin/python -m benchmarks.mocap [real] [multi] [synthetic] [speed] [models] [--json PATH]

(`make bench-mocap` runs them all.) Without arguments: all five parts.
- real: Pose2Sim's Demo_SinglePerson (development set), each of its four views scored against a 3D
  reference triangulated from all four calibrated views.
- multi: Demo_MultiPerson (ACCEPTANCE set, never tuned on), each view against the person followed.
- synthetic: twelve rendered clips with exact truth; TUNING and VALIDATION halves fixed in clips.py.
- speed: our whole processor (MAIN_FBX) against a bare MediaPipe loop over the same 10 s, 30 fps,
  640x480 clip of a real person, same run, alternated four times (best of four, and each round's
  ratio), then one run timed by stage.
- models: the full and the heavy landmark model on the same clips: errors and tracking speed.
Scores: mean absolute joint-angle error of elbows, knees, shoulders and hips (deg); limb-direction
error after one rotation per clip (deg); share of frames with a left/right swap; median foot speed
during contacts (cm/s). "raw" is MediaPipe's world landmarks from the same pass that feeds ours.
Renders and MediaPipe passes are cached under ~/.cache/move_ai_samples (see clips.py, tracks.py).
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def run_capture(track):
    from local_server.mocap.pipeline import motion_from_track

    return motion_from_track(track)[0]


def _row(label: str, r: dict, extra: str = "") -> str:
    o, w = r["ours"], r["raw"]
    ratio = o["angle"] / w["angle"] if w["angle"] else float("nan")
    slide = r.get("slide", {})
    return (f"{label:18s}{w['angle']:7.1f}{o['angle']:7.1f}{ratio:7.2f}  {w['limb_dir']:7.1f}{o['limb_dir']:7.1f}"
            f"  {w['swap_pct']:6.0f}%{o['swap_pct']:6.0f}%  {slide.get('ours', float('nan')):7.1f}"
            f"{slide.get('reference', float('nan')):7.1f}{extra}")


_HEAD = (f"{'':18s}{'angle error deg':>21s}  {'limb dir deg':>14s}  {'L/R swaps':>14s}  {'slide cm/s':>14s}\n"
         f"{'':18s}{'raw':>7s}{'ours':>7s}{'ratio':>7s}  {'raw':>7s}{'ours':>7s}  {'raw':>7s}{'ours':>7s}  "
         f"{'ours':>7s}{'ref':>7s}")


def _summary(label: str, rows: dict) -> str:
    raw = np.mean([r["raw"]["angle"] for r in rows.values()])
    ours = np.mean([r["ours"]["angle"] for r in rows.values()])
    worst = max(r["ours"]["angle"] / r["raw"]["angle"] for r in rows.values())
    return f"{label:18s}{raw:7.1f}{ours:7.1f}{ours / raw:7.2f}   (worst ratio {worst:.2f})"


def real(results: dict) -> None:
    from .real import single_person

    res = single_person(run_capture)
    results["single_person"] = res
    print(f"\nDemo_SinglePerson (development), each view vs the 4-view reference; offsets {res['offsets']}")
    print(_HEAD)
    for name, r in res["views"].items():
        print(_row(name, r))
    print(_summary("mean", res["views"]))


def multi(results: dict) -> None:
    from .real import multi_person

    res = multi_person(run_capture)
    results["multi_person"] = res
    print(f"\nDemo_MultiPerson (ACCEPTANCE: not tuned on), each view vs the person it chose; "
          f"{len(res['people'])} people triangulated")
    print(_HEAD + "  on another person (frames) / people seen / lost")
    for name, r in res["views"].items():
        m = r["metadata"]
        print(_row(name, r, f"  {r['frames_on_another_person']:4d} / {m.get('peopleSeen', m.get('peopleAtStart'))}"
                            f" / {m.get('framesLost', '-')}"))
    print(_summary("mean", res["views"]))


def synthetic(results: dict) -> None:
    from .clips import CLIPS, TUNING, VALIDATION
    from .synthetic import score_clip

    res = {}
    for half, names in (("TUNING", TUNING), ("VALIDATION", VALIDATION)):
        rows = {n: score_clip(n, run_capture) for n in names}
        res[half.lower()] = rows
        print(f"\nRendered clips, {half} half, vs exact truth (slide: ours only; airborne cm truth/ours)")
        print(_HEAD)
        for n, r in rows.items():
            a = r["airborne_cm"]
            print(_row(n, r, f"  {a['truth']:5.0f}/{a['ours']:3.0f}") + f"   {CLIPS[n].what[:40]}")
        print(_summary("mean", rows))
    results["synthetic"] = res


def models(results: dict) -> None:
    """The full and the heavy landmark model, same clips, same run: errors and tracking speed."""
    from local_server.mocap.pose_tracking import track_pose

    from .clips import TUNING, VALIDATION
    from .real import single_person
    from .renders import ensure_rendered
    from .synthetic import score_clip

    rows = {}
    for model in ("full", "heavy"):
        views = single_person(run_capture, model=model)["views"]
        rows.update({(f"single {k}", model): v for k, v in views.items()})
        for half, names in (("tuning", TUNING), ("valid.", VALIDATION)):
            rows.update({(f"{half} {n}", model): score_clip(n, run_capture, model=model) for n in names})
    print("\nFull vs heavy landmark model (angle error deg, raw MediaPipe / ours)")
    print(f"{'':26s}{'full raw':>9s}{'ours':>7s}{'heavy raw':>11s}{'ours':>7s}")
    labels = sorted({k for k, _ in rows}, key=lambda x: (x.split()[0], x))
    for label in labels:
        f, h = rows[(label, "full")], rows[(label, "heavy")]
        print(f"{label:26s}{f['raw']['angle']:9.1f}{f['ours']['angle']:7.1f}{h['raw']['angle']:11.1f}{h['ours']['angle']:7.1f}")
    for half in ("single", "tuning", "valid."):
        sel = [k for k in labels if k.startswith(half)]
        m = {mdl: (np.mean([rows[(k, mdl)]["raw"]["angle"] for k in sel]), np.mean([rows[(k, mdl)]["ours"]["angle"] for k in sel]))
             for mdl in ("full", "heavy")}
        print(f"{'mean ' + half:26s}{m['full'][0]:9.1f}{m['full'][1]:7.1f}{m['heavy'][0]:11.1f}{m['heavy'][1]:7.1f}")
    clip = ensure_rendered("walk") / "clip.mp4"
    seconds = {"full": [], "heavy": []}
    for _ in range(2):
        for model in seconds:
            seconds[model].append(track_pose(clip, model=model).seconds)
    from local_server.video import probe_video

    n = probe_video(clip).frame_count
    fps = {m: n / min(s) for m, s in seconds.items()}
    print(f"tracking speed on {n} frames 640x480 (best of 2, alternated): full {fps['full']:.1f} fps, heavy "
          f"{fps['heavy']:.1f} fps ({fps['heavy'] / fps['full']:.2f}x)")
    results["models"] = {"rows": {f"{k[0]} | {k[1]}": v for k, v in rows.items()}, "tracking_fps": fps}


def bare_mediapipe(clip: Path) -> float:
    """Wall seconds of the plainest loop: decode, Pose.process, keep the landmarks."""
    import mediapipe as mp

    from local_server.video import read_frames

    t = time.perf_counter()
    rows = []
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        for rgb in read_frames(clip):
            r = pose.process(rgb)
            rows.append([(p.x, p.y, p.z) for p in r.pose_world_landmarks.landmark] if r.pose_world_landmarks else None)
    return time.perf_counter() - t


def speed_clip() -> Path:
    """A 10 s, 30 fps, 640x480 clip of a real person (Demo_SinglePerson cam01 forward and backward,
    three times over, scaled into the frame), made once into the sample cache with imageio-ffmpeg."""
    import subprocess

    import imageio_ffmpeg

    from local_server.mocap.sample_clips import default_cache_dir, sample_clip

    out = default_cache_dir() / "clips" / "speed_640x480_30fps_pingpong.mp4"
    if not out.exists():
        part = out.with_suffix(".part.mp4")
        graph = ("[0:v]fps=30,scale=-2:480,pad=640:480:(ow-iw)/2:0,split[f][b];[b]reverse[r];"
                 "[f][r]concat=n=2:v=1,split=3[a][c][d];[a][c][d]concat=n=3:v=1[out]")
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error",
                        "-i", str(sample_clip("single_person_cam01")), "-filter_complex", graph, "-map", "[out]",
                        "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", str(part)], check=True)
        part.replace(out)
    return out


def speed_stages(clip: Path, info) -> dict[str, float]:
    """Wall seconds of each stage of one processor-like run (Blender started beside the tracking, as
    the processor does): where the time beyond the bare loop goes."""
    from local_server.export import BlenderProcess, export_motion
    from local_server.mocap.pipeline import motion_from_track
    from local_server.mocap.pose_tracking import track_pose

    stages = {}
    with tempfile.TemporaryDirectory(prefix="mocap-bench-") as tmp, BlenderProcess() as blender:
        t = time.perf_counter()
        track = track_pose(clip, info=info)
        stages["track (decode, MediaPipe, census)"] = time.perf_counter() - t
        t = time.perf_counter()
        motion, _ = motion_from_track(track)
        stages["sides, lift, retarget, feet"] = time.perf_counter() - t
        t = time.perf_counter()
        export_motion(motion, Path(tmp), ["MAIN_FBX"], blender=blender)
        stages["FBX (Blender, after the hand-over)"] = time.perf_counter() - t
    return stages


def speed(results: dict, rounds: int = 4) -> None:
    from local_server.processors.base import JobSpec
    from local_server.processors.mediapipe import MediaPipeProcessor
    from local_server.video import probe_video

    clip = speed_clip()
    info = probe_video(clip)
    processor = MediaPipeProcessor()
    times = {"bare": [], "ours": []}
    for _ in range(rounds):  # alternate, so load from others falls on both
        times["bare"].append(bare_mediapipe(clip))
        with tempfile.TemporaryDirectory(prefix="mocap-bench-") as tmp:
            t = time.perf_counter()
            processor.process(JobSpec("bench", clip, ["MAIN_FBX"]), Path(tmp), lambda pct: None)
            times["ours"].append(time.perf_counter() - t)
    bare, ours = min(times["bare"]), min(times["ours"])
    paired = sorted(b / o for b, o in zip(times["bare"], times["ours"]))
    n = info.frame_count
    print(f"\nSpeed over {n} frames of {info.width}x{info.height} at {info.fps:g} fps (best of {rounds}, alternated):")
    print(f"  bare MediaPipe loop (decode + Pose):           {n / bare:6.1f} fps")
    print(f"  our processor (track + lift + retarget + FBX): {n / ours:6.1f} fps")
    print(f"  ratio ours / bare: {bare / ours:.2f}   real-time factor ours: {n / ours / info.fps:.2f}")
    print(f"  ratio per round (bare, ours back to back): median {np.median(paired):.2f}, "
          f"{paired[0]:.2f}-{paired[-1]:.2f}")
    stages = speed_stages(clip, info)
    print("  one more run, by stage: " + ", ".join(f"{k} {v:.2f} s" for k, v in stages.items()))
    results["speed"] = {"frames": n, "bare_fps": n / bare, "ours_fps": n / ours, "ratio": bare / ours,
                        "ratio_per_round": paired, "realtime": n / ours / info.fps, "stages_s": stages}


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    parts = [a for a in argv if not a.startswith("--") and not a.endswith(".json")] or ["real", "multi", "synthetic",
                                                                                         "speed", "models"]
    out = Path(argv[argv.index("--json") + 1]) if "--json" in argv else ROOT / "benchmarks" / "out" / "mocap.json"
    results: dict = {}
    for part in parts:
        {"real": real, "multi": multi, "synthetic": synthetic, "speed": speed, "models": models}[part](results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
