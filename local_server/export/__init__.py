# SPDX-License-Identifier: GPL-3.0-or-later
"""Job outputs from a Motion: FBX, .blend and USD built by Blender in a subprocess, preview MP4, motion data.

    files = export_motion(motion, out_dir, ["MAIN_FBX", "MOTION_DATA"], name="take")
    # -> {"MAIN_FBX": out_dir/"take.fbx", "MOTION_DATA": out_dir/"take_motion_data.zip"}

The server process never imports bpy: the Blender outputs are made by
`python -m local_server.export.blender_build` (see that module) in one subprocess per call.
RENDER_OVERLAY_VIDEO needs the source video and 2D joints: see `local_server.export.overlay`.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from ..motion import Motion
from ..processors.base import ProcessingFailed
from .motion_data import write_motion_data

BLENDER_OUTPUTS = ("MAIN_FBX", "MAIN_BLEND", "MAIN_USDC", "MAIN_USDZ")
#: The outputs export_motion makes from a Motion alone.
MOTION_OUTPUTS = BLENDER_OUTPUTS + ("RENDER_VIDEO", "MOTION_DATA")
FILE_SUFFIXES = {
    "MAIN_FBX": ".fbx", "MAIN_BLEND": ".blend", "MAIN_USDC": ".usdc", "MAIN_USDZ": ".usdz",
    "RENDER_VIDEO": "_preview.mp4", "MOTION_DATA": "_motion_data.zip",
}
# Generous: Blender starts in ~1 s and writes a few hundred frames a second.
_BLENDER_TIMEOUT_S = 120.0
_BLENDER_S_PER_FRAME = 0.05
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def export_motion(motion: Motion, out_dir: Path, outputs: list[str], name: str = "take",
                  timings: dict[str, float] | None = None,
                  progress: Callable[[float], None] | None = None) -> dict[str, Path]:
    """Write each requested output of MOTION_OUTPUTS to out_dir as `<name><suffix>`; return them by type.

    `timings`, when given, receives the seconds each output took ("blender" for the Blender process
    as a whole); `progress` is called with the fraction of outputs done (0..1).
    """
    unknown = [o for o in outputs if o not in MOTION_OUTPUTS]
    if unknown:
        raise ValueError(f"export_motion cannot make {unknown}; it makes {list(MOTION_OUTPUTS)}")
    if not name or Path(name).name != name:
        raise ValueError(f"name must be a plain file-name stem, got {name!r}")
    motion.validate()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    timings = timings if timings is not None else {}
    files: dict[str, Path] = {}
    wanted = [o for o in MOTION_OUTPUTS if o in outputs]
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done / len(wanted))

    blender = [o for o in wanted if o in BLENDER_OUTPUTS]
    if blender:
        files.update(_run_blender(motion, out_dir, name, blender, timings))
        for _ in blender:
            step()
    if "RENDER_VIDEO" in wanted:
        from .preview_video import write_preview_video

        t = time.perf_counter()
        files["RENDER_VIDEO"] = write_preview_video(motion, out_dir / f"{name}{FILE_SUFFIXES['RENDER_VIDEO']}")
        timings["RENDER_VIDEO"] = time.perf_counter() - t
        step()
    if "MOTION_DATA" in wanted:
        t = time.perf_counter()
        files["MOTION_DATA"] = write_motion_data(motion, out_dir / f"{name}{FILE_SUFFIXES['MOTION_DATA']}")
        timings["MOTION_DATA"] = time.perf_counter() - t
        step()
    return files


def _run_blender(motion: Motion, out_dir: Path, name: str, outputs: list[str],
                 timings: dict[str, float]) -> dict[str, Path]:
    import json

    t = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="move-export-") as tmp:
        motion_path = Path(tmp) / "motion.npz"
        motion.save(motion_path)
        # Blender needs nothing secret: the server's API key stays out of the child's environment.
        env = {k: v for k, v in os.environ.items() if k != "MOVE_LOCAL_API_KEY"}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
        cmd = [sys.executable, "-m", "local_server.export.blender_build", "--motion", str(motion_path),
               "--out-dir", str(out_dir), "--name", name, "--outputs", ",".join(outputs)]
        timeout = _BLENDER_TIMEOUT_S + _BLENDER_S_PER_FRAME * motion.frame_count
        try:
            run = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise ProcessingFailed(f"Blender took longer than {timeout:.0f} s to write the {', '.join(outputs)} files.") from exc
    result = next((line[len("RESULT "):] for line in run.stdout.splitlines() if line.startswith("RESULT ")), None)
    if run.returncode != 0 or result is None:
        tail = (run.stderr.strip().splitlines() or ["no message"])[-1][:300]
        raise ProcessingFailed(f"Blender could not write the {', '.join(outputs)} files: {tail}")
    report = json.loads(result)
    timings["blender"] = time.perf_counter() - t
    timings.update({k: v for k, v in report["seconds"].items()})
    return {k: Path(v) for k, v in report["files"].items()}
