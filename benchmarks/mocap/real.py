# SPDX-License-Identifier: GPL-3.0-or-later
"""Real video against a 3D reference triangulated from Pose2Sim's four calibrated views.

Development set: Demo_SinglePerson. Acceptance set: Demo_MultiPerson (never tuned on): there each
view is scored against the person its capture chose at the start, and frames where the capture is
nearer another person are counted. The reference is MediaPipe's 2D keypoints of all four views,
triangulated (DLT weighted by MediaPipe's visibility, a view dropped in a frame where it disagrees
with the others), on a common timeline (the views are offset by a few frames; found by reprojection).
"""
from __future__ import annotations

import numpy as np

from local_server.mocap import pose_tracking as P
from local_server.mocap.sample_clips import calibration_file, sample_clip

from . import scoring
from .calibration import read_qca, triangulate
from .tracks import cached_track

VIEWS = ("cam01", "cam02", "cam03", "cam04")
BODY = list(range(11, 33))  # shoulders down: what the scores use


def _shift(x: np.ndarray, off: int, n: int) -> np.ndarray:
    """Rows i + off of x for i in range(n), NaN where outside."""
    out = np.full((n,) + x.shape[1:], np.nan)
    src = np.arange(n) + off
    ok = (src >= 0) & (src < len(x))
    out[ok] = x[src[ok]]
    return out


def _reproj(view, X, xy):
    return np.nanmedian(np.linalg.norm(view.project(X) - xy, axis=-1)[:, BODY], axis=1)


def offsets(views, xy, vis, search: int = 8) -> list[int]:
    """Frame offset of each view against the first (view frame = reference frame + offset)."""
    out = [0]
    n = len(xy[0])
    for k in range(1, len(views)):
        errs = []
        for off in range(-search, search + 1):
            b = _shift(xy[k], off, n)
            X = triangulate([views[0], views[k]], [xy[0], b], [vis[0], _shift(vis[k], off, n)])
            errs.append(np.nanmedian(_reproj(views[0], X, xy[0])))
        out.append(int(np.argmin(errs)) - search)
    return out


def robust_triangulation(views, xy, vis, max_px: float = 40.0) -> np.ndarray:
    """(F, 33, 3): all views, then per frame the worst view dropped while it reprojects beyond max_px
    (a view on the wrong person or a MediaPipe swap there), keeping at least two."""
    n = len(xy[0])
    use = np.ones((n, len(views)), bool)
    for _ in range(len(views) - 2):
        w = [np.where(use[:, k, None], vis[k], 0.0) for k in range(len(views))]
        X = triangulate(views, xy, w)
        err = np.stack([np.where(use[:, k], _reproj(v, X, xy[k]), -1) for k, v in enumerate(views)], 1)
        worst = np.nanargmax(np.nan_to_num(err, nan=1e9), axis=1)
        drop = (np.take_along_axis(err, worst[:, None], 1)[:, 0] > max_px) & (use.sum(1) > 2)
        use[np.flatnonzero(drop), worst[drop]] = False
    w = [np.where(use[:, k, None], vis[k], 0.0) for k in range(len(views))]
    return triangulate(views, xy, w)


def _tracks(demo: str, actor: int = 0, model: str = "full"):
    extra = {"model": model} if model != "full" else {}
    return [cached_track(sample_clip(f"{demo}_{v}"), f"{demo}_{v}", actor=actor, **extra) for v in VIEWS]


def score_view(track, ref_world: np.ndarray, view, run_capture) -> dict:
    """Ours and raw MediaPipe of one view against the reference (on the view's timeline, world axes)."""
    motion = run_capture(track)
    ours = scoring.from_motion(motion)
    raw = scoring.from_mediapipe(track.world)
    ref = scoring.from_mediapipe(ref_world)
    out = {"raw": scoring.score(raw, ref), "ours": scoring.score(ours, ref)}
    fps = track.fps
    ref_feet = np.stack([ref["LeftAnkle"], ref["RightAnkle"]], 1)
    ok = np.isfinite(ref_feet).all(axis=(1, 2))
    contact = np.zeros(ref_feet.shape[:2], bool)
    contact[ok] = scoring.contacts(ref_feet[ok], fps)
    ref_feet = np.where(ok[:, None, None], ref_feet, np.nan)
    ours_feet = np.stack([ours["LeftAnkle"], ours["RightAnkle"]], 1)
    out["slide"] = {"ours": scoring.foot_slide(ours_feet, contact, fps),
                    "reference": scoring.foot_slide(ref_feet, contact, fps),
                    "contact_frames": int(contact.any(1).sum())}
    out["metadata"] = motion.metadata.get("tracking", {})
    return out


def single_person(run_capture, model: str = "full") -> dict:
    """Each view of Demo_SinglePerson against the four-view reference (always triangulated from the
    full model's 2D, so that both models are scored against the same reference)."""
    views = read_qca(calibration_file())
    tracks = _tracks("single_person")
    xy = [v.undistort(t.image_xy) for v, t in zip(views, tracks)]
    vis = [t.visibility for t in tracks]
    offs = offsets(views, xy, vis)
    n = len(xy[0])
    X = robust_triangulation(views, [_shift(p, o, n) for p, o in zip(xy, offs)],
                             [_shift(w, o, n) for w, o in zip(vis, offs)])
    results = {}
    if model != "full":
        tracks = _tracks("single_person", model=model)
    for view, track, off in zip(views, tracks, offs):
        ref = _shift(X, -off, track.frame_count)
        results[view.name] = score_view(track, ref, view, run_capture)
    return {"offsets": dict(zip(VIEWS, offs)), "views": results}


def multi_person(run_capture, max_people: int = 3) -> dict:
    """Each view of Demo_MultiPerson against the reference of the person its capture chose at the start."""
    views = read_qca(calibration_file())
    default = _tracks("multi_person")  # what the server does: the largest person at the start
    per_view = [[t] for t in default]
    for k, t in enumerate(default):
        for actor in range(1, min(t.people_at_start, max_people)):
            per_view[k].append(cached_track(sample_clip(f"multi_person_{VIEWS[k]}"), f"multi_person_{VIEWS[k]}",
                                            actor=actor))
    n = default[0].frame_count
    raw_xy = [[views[k].undistort(t.image_xy) for t in per_view[k]] for k in range(4)]
    raw_vis = [[t.visibility for t in per_view[k]] for k in range(4)]

    def pair_error(a, k, b, off):
        X = triangulate([views[0], views[k]], [raw_xy[0][a], _shift(raw_xy[k][b], off, n)],
                        [raw_vis[0][a], _shift(raw_vis[k][b], off, n)])
        return float(np.nanmedian(_reproj(views[0], X, raw_xy[0][a])))

    # Each view's offset and which of its tracks is which of cam01's people: the pairing and offset
    # that agree best; a track that agrees with nobody (a bystander cam01 does not follow) is left out.
    offs, match = [0], [{a: a for a in range(len(per_view[0]))}]
    for k in range(1, 4):
        best = None
        for off in range(-8, 9):
            errs = {(a, b): pair_error(a, k, b, off) for a in range(len(per_view[0])) for b in range(len(per_view[k]))}
            pairs, used, total = {}, set(), 0.0
            for (a, b), e in sorted(errs.items(), key=lambda kv: kv[1]):
                if a in pairs or b in used or e > 30:
                    continue
                pairs[a], total = b, total + e
                used.add(b)
            key = (-len(pairs), total)
            if best is None or key < best[0]:
                best = (key, off, pairs)
        offs.append(best[1])
        match.append(best[2])
    people = []
    for a in range(len(per_view[0])):
        members = [(k, match[k][a]) for k in range(4) if a in match[k]]
        if len(members) < 2:
            continue
        X = robust_triangulation([views[k] for k, _ in members],
                                 [_shift(raw_xy[k][c], offs[k], n) for k, c in members],
                                 [_shift(raw_vis[k][c], offs[k], n) for k, c in members])
        people.append((members, X))
    results = {}
    for k, view in enumerate(views):
        track = default[k]
        own = view.undistort(track.image_xy)
        # The person this view's capture chose: nearest in the first tenth of the clip.
        dists = []
        for _, X in people:
            proj = view.project(_shift(X, -offs[k], n))
            dists.append(np.nanmedian(np.linalg.norm(proj - own, axis=-1)[:, BODY], axis=1))
        dists = np.array(dists)
        first = max(3, n // 10)
        chosen = int(np.nanargmin(np.nanmean(dists[:, :first], axis=1)))
        ref = _shift(people[chosen][1], -offs[k], n)
        res = score_view(track, ref, view, run_capture)
        others = np.delete(dists, chosen, axis=0)
        res["frames_on_another_person"] = int(np.sum(np.any(others < dists[chosen][None] * 0.5, axis=0))) if len(others) else 0
        res["people_in_reference"] = len(people)
        results[view.name] = res
    return {"offsets": dict(zip(VIEWS, offs)), "people": [[(VIEWS[k], c) for k, c in m] for m, _ in people],
            "views": results}
