# SPDX-License-Identifier: GPL-3.0-or-later
"""The main job: a real video of a person in, an animated skeleton in a saved .blend out.

Starts the local server (MediaPipe processor), runs Blender headless (the bpy wheel) with the add-on
installed from its built zip the way Blender installs it, puts the clip in the Video Sequence Editor
and captures it through the add-on's own operators, step by step, then saves demo/demo.blend and a
contact sheet PNG (video frames beside the imported skeleton). Run it with `make demo`.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

STEPS: list[tuple[str, float, str]] = []


@contextmanager
def step(name: str):
    print(f"-> {name} ...", flush=True)
    start = time.perf_counter()
    note = {"text": ""}
    yield note
    seconds = time.perf_counter() - start
    STEPS.append((name, seconds, note["text"]))
    print(f"   {name}: {seconds:.1f} s {note['text']}", flush=True)


def run_operator(op, what: str) -> None:
    """Run one of the add-on's operators blocking ('EXEC_DEFAULT', as a script does) and fail loudly."""
    result = op("EXEC_DEFAULT")
    if result != {"FINISHED"}:
        raise SystemExit(f"demo: {what} did not finish ({result}); see the report above")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", default="single_person_cam01", help="sample clip name (pose2sim wheel)")
    parser.add_argument("--processor", default="mediapipe", help="local server processor")
    parser.add_argument("--format", default="fbx", choices=["fbx", "blend"], help="output to import")
    parser.add_argument("--output-dir", type=Path, default=DEMO,
                        help="where demo.blend, contact_sheet.png and out/ (downloads, server data) go")
    args = parser.parse_args()

    out = args.output_dir / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    # Blender's user config goes to a folder of the demo's, never the real one; bpy reads it on import.
    os.environ["BLENDER_USER_RESOURCES"] = str(out / "blender-user")
    total_start = time.perf_counter()

    from local_server.launcher import start_server
    from local_server.mocap.sample_clips import sample_clip
    import build_addon

    with step("fetch the sample clip (pose2sim wheel, cached)") as note:
        clip = sample_clip(args.clip)
        note["text"] = f"({clip})"
    with step("build the add-on with Blender's extension builder") as note:
        zip_path = build_addon.build(out / "dist")
        note["text"] = f"({zip_path.name})"
    with step(f"start the local server ({args.processor} processor)") as note:
        server = start_server(out / "server-data", "--processor", args.processor,
                              api_key=f"demo-{os.getpid()}-local-key")
        note["text"] = f"({server.endpoint})"
    try:
        return run_in_blender(server, zip_path, clip, args.format, args.output_dir, total_start)
    finally:
        server.stop()
        print("Local server stopped.")


def run_in_blender(server, zip_path: Path, clip: Path, import_format: str, output_dir: Path,
                   total_start: float) -> int:
    out = output_dir / "out"
    with step("start Blender (bpy) and install the add-on") as note:
        import bpy

        bpy.ops.wm.read_factory_settings(use_empty=True)
        result = bpy.ops.extensions.package_install_files(filepath=str(zip_path), repo="user_default",
                                                          enable_on_install=True)
        assert result == {"FINISHED"}, result
        prefs = bpy.context.preferences.addons["bl_ext.user_default.move_ai"].preferences
        prefs.endpoint = server.endpoint
        prefs.import_format = import_format
        prefs.add_overlay = True
        prefs.download_dir = str(out / "downloads")
        # The local server's key reaches the add-on through the environment, as MOVE_LOCAL_API_KEY
        # can for any user (MOVE_API_KEY is for Move's cloud only): never stored in preferences or
        # in the .blend.
        os.environ["MOVE_LOCAL_API_KEY"] = server.api_key
        note["text"] = f"(Blender {bpy.app.version_string})"

    with step("put the clip in the Video Sequence Editor") as note:
        scene = bpy.context.scene
        editor = scene.sequence_editor_create()
        strip = top_strips(editor).new_movie("Performer", str(clip), channel=1, frame_start=1)
        editor.active_strip = strip
        scene.render.fps, scene.render.fps_base = round(strip.fps), 1.0
        scene.frame_start, scene.frame_end = strip.frame_final_start, strip.frame_final_end - 1
        note["text"] = (f"({strip.frame_final_duration} frames at {strip.fps:g} fps, "
                        f"{strip.elements[0].orig_width}x{strip.elements[0].orig_height})")

    ops = bpy.ops.moveai
    for what, op in (("upload the strip's video", ops.upload_strip), ("create the take", ops.create_take),
                     ("create the job", ops.create_job), ("wait for the job (motion capture)", ops.poll_job),
                     ("download and import the output", ops.import_output)):
        with step(what) as note:
            run_operator(op, what)
            record = scene.move_ai.jobs[-1]
            note["text"] = f"[{record.job_id or record.take_id or record.file_id}] {record.message}"

    record = scene.move_ai.jobs[-1]
    armature = bpy.data.objects[record.imported_object]
    action = armature.animation_data.action
    first, last = (int(round(v)) for v in action.frame_range)

    blend_path = output_dir / "demo.blend"
    with step(f"save {blend_path.name}") as note:
        blend_path.unlink(missing_ok=True)  # no demo.blend1 backup of an earlier run
        bpy.ops.wm.save_as_mainfile(filepath=str(blend_path), compress=False)
        key_absent = server.api_key.encode() not in blend_path.read_bytes()
        note["text"] = f"(API key absent from the file: {key_absent})"
        if not key_absent:
            raise SystemExit("demo: the API key was found in the saved .blend")

    sheet_path = output_dir / "contact_sheet.png"
    with step("write the contact sheet") as note:
        from demo.contact_sheet import write_contact_sheet

        source = top_strips(scene.sequence_editor)[record.strip_name]
        shown = write_contact_sheet(scene, armature, source, clip, sheet_path)
        note["text"] = f"(frames {', '.join(map(str, shown))})"

    total = time.perf_counter() - total_start
    print()
    print("Move AI add-on demo: done in %.1f s" % total)
    for name, seconds, _ in STEPS:
        print(f"  {seconds:7.1f} s  {name}")
    print(f"  armature {armature.name!r}: keys on frames {first}-{last}, strip on frames "
          f"{record.strip_start}-{record.strip_start + int(round((record.clip_end - record.clip_start) * record.video_fps)) - 1}")
    print(f"  job {record.job_id}: {record.job_state}")
    print(f"  {blend_path}")
    print(f"  {sheet_path}")
    print(f"  downloads: {out / 'downloads'}")
    return 0


def top_strips(editor):
    """The add-on's own 4.2/5.0 strips helper (the demo runs the installed add-on anyway)."""
    from importlib import import_module
    return import_module("bl_ext.user_default.move_ai.core.strips").top_strips(editor)


if __name__ == "__main__":
    sys.exit(main())
