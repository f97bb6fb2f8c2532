# SPDX-License-Identifier: GPL-3.0-or-later
"""`make demo`, the project's main job, end to end: a real clip of a person through the add-on and
the local MediaPipe server into a saved .blend and a contact sheet."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # `make demo` end to end (MediaPipe, import, contact sheet): over 10 s

ROOT = Path(__file__).resolve().parent.parent

CHECK_BLEND = r'''
import sys, bpy
from tests.blender_harness import top_strips
bpy.ops.wm.open_mainfile(filepath=sys.argv[-1])
scene = bpy.context.scene
editor = scene.sequence_editor
strips = top_strips(editor)
movie = strips["Performer"]
arm = bpy.data.objects["Performer"]
first, last = (int(round(f)) for f in arm.animation_data.action.frame_range)
overlays = [s for s in strips if s.type == "MOVIE" and s.channel > movie.channel]
print("RESULT", arm.type, first, last, movie.frame_final_start, movie.frame_final_end - 1, len(overlays))
'''


def test_demo_writes_a_blend_with_the_skeleton_on_the_strip_and_a_contact_sheet(tmp_path):
    done = subprocess.run([sys.executable, "-m", "demo", "--output-dir", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "API key absent from the file: True" in done.stdout
    assert re.search(r"wait for the job \(motion capture\): [\d.]+ s", done.stdout)

    blend, sheet = tmp_path / "demo.blend", tmp_path / "contact_sheet.png"
    assert sheet.stat().st_size > 50_000  # six video frames and six renders, not an empty canvas
    check = subprocess.run([sys.executable, "-c", CHECK_BLEND, str(blend)], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    line = next(ln for ln in check.stdout.splitlines() if ln.startswith("RESULT"))
    kind, first, last, strip_first, strip_last, overlays = line.split()[1:]
    assert kind == "ARMATURE"
    # the skeleton's keys cover exactly the strip's frames: in step with the video
    assert (first, last) == (strip_first, strip_last)
    assert overlays == "1"  # Move's overlay video sits above the source strip
