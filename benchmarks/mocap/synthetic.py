# SPDX-License-Identifier: GPL-3.0-or-later
"""Rendered clips (clips.py) against their exact ground truth."""
from __future__ import annotations

import numpy as np

from . import scoring
from .clips import CLIPS
from .renders import _stamp, ensure_rendered
from .tracks import cached_track


def score_clip(name: str, run_capture, model: str = "full") -> dict:
    folder = ensure_rendered(name)
    truth = np.load(folder / "truth.npz")
    names = [str(n) for n in truth["joint_names"]]
    ref = {j: truth["joints"][:, names.index(j)] for j in scoring.JOINTS}
    extra = {"model": model} if model != "full" else {}
    track = cached_track(folder / "clip.mp4", f"render-{name}-{_stamp(name)}", **extra)
    motion = run_capture(track)
    ours = scoring.from_motion(motion)
    raw = scoring.from_mediapipe(track.world)
    out = {"raw": scoring.score(raw, ref), "ours": scoring.score(ours, ref)}
    fps = float(truth["fps"])
    feet = np.stack([ref["LeftAnkle"], ref["RightAnkle"]], 1)
    contact = scoring.contacts(feet, fps, speed=0.1, height=0.03)
    ours_feet = np.stack([ours["LeftAnkle"], ours["RightAnkle"]], 1)
    # Jumps stay jumps: how high the capture lifts the lower ankle above its standing height, vs the truth.
    lift_truth = np.max(feet[..., 2].min(1)) - np.median(feet[..., 2].min(1))
    lift_ours = np.max(ours_feet[..., 2].min(1)) - np.median(ours_feet[..., 2].min(1))
    out["slide"] = {"ours": scoring.foot_slide(ours_feet, contact, fps), "contact_frames": int(contact.any(1).sum())}
    out["airborne_cm"] = {"truth": float(100 * lift_truth), "ours": float(100 * lift_ours)}
    out["metadata"] = motion.metadata.get("tracking", {})
    return out


def all_clips(run_capture, names=None) -> dict:
    return {n: score_clip(n, run_capture) for n in (names or CLIPS)}
