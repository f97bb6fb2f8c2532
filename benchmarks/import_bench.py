# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's import of a job's output (FBX and .blend, retimed to the strip) against a bare
`bpy.ops.import_scene.fbx` / `bpy.data.libraries.load` of the same file, alternated in one process."""
from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.addon_child import run_child
from benchmarks.figures import Figure

SCENE_FPS = 24  # the video is at another rate and the strip starts late: the retime has real work to do
STRIP_START = 37


def _outputs(server, video: Path, dest: Path) -> dict[str, Path]:
    """A real job of the reference processor on the video: its FBX and .blend, downloaded."""
    from lib import MoveClient, Source
    client = MoveClient(server.api_key, endpoint=server.endpoint)
    file = client.files.upload(video)
    take = client.takes.create_singlecam(sources=[Source("cam01", file.id, "MP4")])
    job = client.jobs.create_singlecam(take.id, outputs=["MAIN_FBX", "MAIN_BLEND"], name="import-bench")
    job = client.jobs.wait(job.id, interval=0.25, timeout=600)
    if job.is_failed:
        raise RuntimeError(f"the reference job failed: {job.failure_reason}")
    return {name: client.jobs.download(job, name, dest) for name in ("fbx", "blend")}


def _bare(bpy, kind: str, path: Path) -> None:
    if kind == "fbx":
        if bpy.ops.import_scene.fbx(filepath=str(path)) != {"FINISHED"}:
            raise RuntimeError("bare FBX import failed")
        return
    with bpy.data.libraries.load(str(path), link=False) as (source, target):
        target.objects = list(source.objects)
    for obj in target.objects:  # appended objects are only seen once linked into the scene
        if obj is not None:
            bpy.context.scene.collection.objects.link(obj)


def _ours(bpy, addon, kind: str, path: Path, video_fps: float) -> None:
    scene = bpy.context.scene
    record = addon.core.state.new_record(scene)
    record.strip_name, record.video_fps, record.strip_start = "clip", video_fps, STRIP_START
    record.job_id, record.job_state, record.stage = "job-bench", "FINISHED", "DOWNLOADED"
    record.import_format, record.output_path = kind, str(path)
    if bpy.ops.moveai.import_output(job=record.uid) != {"FINISHED"} or record.stage != "IMPORTED":
        raise RuntimeError(f"the add-on's {kind} import failed: {record.message}")


def _keys(bpy, addon) -> tuple[int, list[float]]:
    """Keys of the scene's animated armature and the frames they sit on: both sides must bring in
    the same animation, and ours must put it on the strip (a fast import in the wrong place is no win)."""
    armatures = [o for o in bpy.context.scene.objects
                 if o.type == "ARMATURE" and o.animation_data and o.animation_data.action]
    if len(armatures) != 1:
        return 0, []
    anim = armatures[0].animation_data
    curves = addon.core.importer.action_fcurves(anim.action, getattr(anim, "action_slot", None))
    frames = sorted({round(p.co.x, 4) for c in curves for p in c.keyframe_points})
    return sum(len(c.keyframe_points) for c in curves), frames


def child(argv: list[str]) -> int:
    from benchmarks import blender_addon as B
    from benchmarks.servers import local_server
    from tests.media import make_video

    seconds, fps, repeats = float(argv[0]), float(argv[1]), int(argv[2])
    bpy = B.bpy
    work = Path(tempfile.mkdtemp(prefix="move-bench-import-"))
    times: dict[str, dict[str, list[float]]] = {}
    keys: dict[str, dict[str, int]] = {}
    try:
        video = make_video(work / "clip.mp4", seconds=seconds, fps=fps)
        with local_server(work / "server", "--processor", "reference") as server:
            files = _outputs(server, video, work / "outputs")
            addon = B.install_addon(work)
            B.configure(server, work / "downloads")
        for kind, path in files.items():
            times[kind], keys[kind] = {"ours": [], "bare": []}, {}
            for i in range(repeats):
                for side in (("bare", "ours") if i % 2 == 0 else ("ours", "bare")):
                    scene = B.empty_scene(SCENE_FPS)
                    B.add_movie(scene, video, frame_start=STRIP_START)
                    started = time.perf_counter()
                    if side == "bare":
                        _bare(bpy, kind, path)
                    else:
                        _ours(bpy, addon, kind, path, fps)
                    times[kind][side].append(time.perf_counter() - started)
                    keys[kind][side], frames = _keys(bpy, addon)
                    if side == "ours" and frames != [float(STRIP_START + i) for i in range(len(frames))]:
                        raise RuntimeError(f"{kind}: the add-on's keys are not one per frame from {STRIP_START}: "
                                           f"{frames[:3]}...{frames[-2:]}")
            if keys[kind]["ours"] != keys[kind]["bare"] or not keys[kind]["bare"]:
                raise RuntimeError(f"{kind}: the two imports differ in keys: {keys[kind]}")
        sizes = {k: p.stat().st_size for k, p in files.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"times": times, "sizes": sizes}))
    return 0


def run(seconds: float = 10.0, fps: float = 30.0, repeats: int = 5, log=print) -> list[Figure]:
    got = run_child("benchmarks.import_bench", str(seconds), str(fps), str(repeats))
    figures = []
    for kind, bare_label in (("fbx", "bpy.ops.import_scene.fbx"), ("blend", "bpy.data.libraries.load + link")):
        t = got["times"][kind]
        ours, bare = statistics.median(t["ours"]) * 1000, statistics.median(t["bare"]) * 1000
        log(f"  {kind} ({got['sizes'][kind] / 1024:.0f} KiB, {seconds:g} s at {fps:g} fps): ours "
            + ", ".join(f"{x * 1000:.0f}" for x in t["ours"]) + " ms; bare "
            + ", ".join(f"{x * 1000:.0f}" for x in t["bare"]) + " ms")
        figures.append(Figure(f"import {kind}", ours, "ms", bare,
                              f"{bare_label} of the same file, median of {repeats}",
                              "<= 1.1x bare (retime to the strip included)", lambda v, r: r <= 1.1))
    return figures


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    sys.exit(child(sys.argv[2:]))
