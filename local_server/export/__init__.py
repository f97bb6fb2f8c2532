# SPDX-License-Identifier: GPL-3.0-or-later
"""Job outputs from a Motion: FBX, .blend and USD built by Blender in a subprocess, preview MP4, motion data.

    files = export_motion(motion, out_dir, ["MAIN_FBX", "MOTION_DATA"], name="take")
    # -> {"MAIN_FBX": out_dir/"take.fbx", "MOTION_DATA": out_dir/"take_motion_data.zip"}

The server process never imports bpy: the Blender outputs are made by
`python -m local_server.export.blender_build` (see that module) in one subprocess per call. A
processor that knows its outputs early starts that process itself (`BlenderProcess`) so Blender
loads (about a second) while the motion is still being made, then hands it to export_motion.
RENDER_OVERLAY_VIDEO needs the source video and 2D joints: see `local_server.export.overlay`.
"""
from __future__ import annotations

import json
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


class BlenderProcess:
    """A Blender child started ahead of its motion: it loads bpy while the caller is still busy, then
    waits for one request on its stdin (see blender_build's `--serve`). Give it to export_motion once
    the motion exists; close it (or use it as a context manager) in any case, so a failed job leaves
    no Blender behind."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="move-export-")
        # Blender needs nothing secret: the server's API key stays out of the child's environment.
        env = {k: v for k, v in os.environ.items() if k != "MOVE_LOCAL_API_KEY"}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
        self._proc = subprocess.Popen([sys.executable, "-m", "local_server.export.blender_build", "--serve"],
                                      env=env, cwd=self._tmp.name, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
        self.used = False

    @property
    def folder(self) -> Path:
        """A scratch folder that lives as long as the process (the motion file goes there)."""
        return Path(self._tmp.name)

    def request(self, request: dict, timeout: float) -> tuple[int, str, str]:
        """Send the one request; return (exit code, stdout, stderr) once Blender is done."""
        if self.used:
            raise RuntimeError("a BlenderProcess serves one request")
        self.used = True
        try:
            out, err = self._proc.communicate(json.dumps(request) + "\n", timeout=timeout)
        except subprocess.TimeoutExpired:
            self.close()
            raise
        return self._proc.returncode, out, err

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    def close(self) -> None:
        if self.running:
            self._proc.kill()
            self._proc.communicate()
        self._tmp.cleanup()

    def __enter__(self) -> "BlenderProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def export_motion(motion: Motion, out_dir: Path, outputs: list[str], name: str = "take",
                  timings: dict[str, float] | None = None,
                  progress: Callable[[float], None] | None = None,
                  blender: BlenderProcess | None = None) -> dict[str, Path]:
    """Write each requested output of MOTION_OUTPUTS to out_dir as `<name><suffix>`; return them by type.

    `timings`, when given, receives the seconds each output took ("blender" for the Blender process
    as a whole, from the hand-over of the motion); `progress` is called with the fraction of outputs
    done (0..1). `blender`: a BlenderProcess started earlier, used for the Blender outputs (one is
    started here otherwise); the caller still closes it.
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

    in_blender = [o for o in wanted if o in BLENDER_OUTPUTS]
    if in_blender:
        if blender is None:
            with BlenderProcess() as own:
                files.update(_run_blender(motion, out_dir, name, in_blender, timings, own))
        else:
            files.update(_run_blender(motion, out_dir, name, in_blender, timings, blender))
        for _ in in_blender:
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
                 timings: dict[str, float], process: BlenderProcess) -> dict[str, Path]:
    t = time.perf_counter()
    motion_path = process.folder / "motion.npz"
    motion.save(motion_path)
    request = {"motion": str(motion_path), "out_dir": str(Path(out_dir).resolve()), "name": name, "outputs": outputs}
    timeout = _BLENDER_TIMEOUT_S + _BLENDER_S_PER_FRAME * motion.frame_count
    try:
        returncode, stdout, stderr = process.request(request, timeout)
    except subprocess.TimeoutExpired as exc:
        raise ProcessingFailed(f"Blender took longer than {timeout:.0f} s to write the {', '.join(outputs)} files.") from exc
    result = next((line[len("RESULT "):] for line in stdout.splitlines() if line.startswith("RESULT ")), None)
    if returncode != 0 or result is None:
        tail = (stderr.strip().splitlines() or ["no message"])[-1][:300]
        raise ProcessingFailed(f"Blender could not write the {', '.join(outputs)} files: {tail}")
    report = json.loads(result)
    timings["blender"] = time.perf_counter() - t
    timings.update({k: v for k, v in report["seconds"].items()})
    return {k: Path(v) for k, v in report["files"].items()}
