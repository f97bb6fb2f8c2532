# SPDX-License-Identifier: GPL-3.0-or-later
"""Left stays left: find the frames where MediaPipe swapped the person's sides, and swap them back.

MediaPipe decides per frame whether it sees the front or the back of a person; when it changes its
mind it mirrors the whole skeleton (left labels on the right side, and its world depth mirrored:
the nose behind the ears), and on crossing legs or arms it may swap one pair alone. A real body
never does either between two frames: both sides move continuously, in the picture and in depth.
So the labels are chosen per frame by a two-state Viterbi pass (as MediaPipe labelled them, or
exchanged) that minimises the frame-to-frame travel of each side in the picture, with a small cost
for disagreeing with MediaPipe, so that where travel cannot tell (sides overlapping in a side view)
its labels stand. MediaPipe's world depth is not used to decide: across its own swaps it is not
simply mirrored, and counting it made the decisions worse on real video. The whole body is decided
first (all landmarks), then the arms and the legs each on their own; a whole-body exchange also
mirrors MediaPipe's world depth back.

In profile travel cannot tell the arms (or legs) apart: the far one is hidden behind the body and
MediaPipe puts its guess onto the near one. There the labels have an anchor of their own: facing
the picture's left a body shows its left side, facing right its right side; the nose says which way
it faces and MediaPipe's visibility which side is seen (`profile_cue`). MediaPipe often mirrors the
head, torso and legs a few frames after a profile while keeping the arms: the whole-body pass then
exchanges the arms too, and only this cue, not travel, takes them back.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import pose_tracking as P
from .paths import cheapest_states

_PAIRS_HEAD = [(1, 4), (2, 5), (3, 6), (P.L_EAR, P.R_EAR), (9, 10)]
_PAIRS_TORSO = [(P.L_SHOULDER, P.R_SHOULDER), (P.L_HIP, P.R_HIP)]
_PAIRS_ARM = [(P.L_ELBOW, P.R_ELBOW), (P.L_WRIST, P.R_WRIST), (P.L_PINKY, P.R_PINKY), (P.L_INDEX, P.R_INDEX),
              (P.L_THUMB, P.R_THUMB)]
_PAIRS_LEG = [(P.L_KNEE, P.R_KNEE), (P.L_ANKLE, P.R_ANKLE), (P.L_HEEL, P.R_HEEL), (P.L_FOOT, P.R_FOOT)]
ALL_PAIRS = _PAIRS_HEAD + _PAIRS_TORSO + _PAIRS_ARM + _PAIRS_LEG


def _exchange(x: np.ndarray, pairs) -> np.ndarray:
    """x (..., 33, k) with the left and right landmark of each pair exchanged."""
    out = x.copy()
    for a, b in pairs:
        out[..., a, :], out[..., b, :] = x[..., b, :], x[..., a, :]
    return out


def _features(xy: np.ndarray, pairs, scale_px: np.ndarray) -> np.ndarray:
    """(F, n, 2): the pairs' left points then right points, in the picture, in torso lengths."""
    idx = [a for a, _ in pairs] + [b for _, b in pairs]
    return xy[:, idx] / scale_px[:, None, None]


def viterbi_swaps(trans: np.ndarray, prior: float, own=None) -> np.ndarray:
    """Per frame, whether to exchange the sides: trans (F, 2, 2) is the travel cost from state s at
    t-1 to state s' at t (0 = as labelled, 1 = exchanged); prior the cost of each exchanged frame;
    own (F, 2) further costs of each state per frame."""
    own = np.array([0.0, prior]) + (np.zeros((trans.shape[0], 2)) if own is None else own)
    return cheapest_states(own, trans).astype(bool)


def profile_cue(xy: np.ndarray, vis: np.ndarray, pairs, scale_px: np.ndarray) -> np.ndarray:
    """(F,): how much the labels of these pairs agree with which side of a body in profile can be
    seen. Facing the picture's left, a body shows its left side (left = up x facing), facing right
    its right side; the nose points the way it faces (ahead of the ears, whatever their labels), and
    MediaPipe marks the far side's landmarks unseen. Positive: as labelled; negative: exchanged;
    near zero when the body faces toward or away from the camera (nose over the ears)."""
    face = (xy[:, P.NOSE, 0] - (xy[:, P.L_EAR, 0] + xy[:, P.R_EAR, 0]) / 2) / scale_px
    near_left = vis[:, [a for a, _ in pairs]].mean(axis=1) - vis[:, [b for _, b in pairs]].mean(axis=1)
    return np.nan_to_num(-face * near_left)


def _decide(xy, pairs, scale_px, prior: float, vis=None, profile_weight: float = 2.0,
            glitch_travel: float = 0.5) -> np.ndarray:
    """Two-state Viterbi over the frames for one group of pairs; True where to exchange them.
    glitch_travel: a transition counts half where the labelling that travels least travels this much
    (squared torso lengths summed over the points); ordinary frames travel 0.01-0.25."""
    plain = _features(xy, pairs, scale_px)
    exchanged = _features(_exchange(xy, pairs), pairs, scale_px)
    states = (plain, exchanged)
    n = xy.shape[0]
    trans = np.zeros((n, 2, 2))
    for s0 in range(2):
        for s1 in range(2):
            d = states[s1][1:] - states[s0][:-1]
            # A robust travel cost: each point's travel, capped so one wild landmark cannot decide.
            dist = np.minimum(np.linalg.norm(d, axis=-1), 1.0)
            trans[1:, s0, s1] = np.nansum(dist ** 2, axis=-1)
    # A frame MediaPipe got wrong as a whole (its 2D jumped: neither labelling continues the last
    # frame) says nothing about the labels, yet the small difference between two large travels would
    # decide them for every frame before it; such transitions count less the larger the better one.
    best = trans.min(axis=(1, 2))
    trans *= (glitch_travel / (glitch_travel + best))[:, None, None]
    own = None
    if vis is not None and profile_weight > 0:
        cue = profile_cue(xy, vis, pairs, scale_px)
        own = profile_weight * np.stack([np.maximum(-cue, 0), np.maximum(cue, 0)], axis=1)
    return viterbi_swaps(trans, prior, own)


def fix_swaps(track: P.PoseTrack, prior: float = 0.02, mirror_depth: bool = True,
              profile_weight: float = 2.0) -> tuple[P.PoseTrack, dict]:
    """A copy of the track with MediaPipe's left/right swaps undone, and counts of what was changed.
    Frames where the person was not found keep the state of the frames around them."""
    found = track.found
    if found.sum() < 3:
        return track, {"bodySwapFrames": 0, "limbSwapFrames": 0}
    rows = np.flatnonzero(found)
    xy, world, vis = track.image_xy[rows].copy(), track.world[rows].copy(), track.visibility[rows].copy()
    torso_px = np.linalg.norm((xy[:, P.L_SHOULDER] + xy[:, P.R_SHOULDER]) / 2 - (xy[:, P.L_HIP] + xy[:, P.R_HIP]) / 2,
                              axis=-1)
    scale_px = np.maximum(np.median(torso_px), 1.0) * np.ones(len(rows))
    body = _decide(xy, ALL_PAIRS, scale_px, prior, vis, profile_weight)
    xy[body] = _exchange(xy[body], ALL_PAIRS)
    vis[body] = _exchange(vis[body][..., None], ALL_PAIRS)[..., 0]
    world[body] = _exchange(world[body], ALL_PAIRS)
    if mirror_depth:
        world[body, :, 2] *= -1
    limbs = np.zeros(len(rows), bool)
    for pairs in (_PAIRS_ARM, _PAIRS_LEG):
        swap = _decide(xy, pairs, scale_px, prior, vis, profile_weight)
        xy[swap] = _exchange(xy[swap], pairs)
        vis[swap] = _exchange(vis[swap][..., None], pairs)[..., 0]
        world[swap] = _exchange(world[swap], pairs)
        limbs |= swap
    out_xy, out_world, out_vis = track.image_xy.copy(), track.world.copy(), track.visibility.copy()
    out_xy[rows], out_world[rows], out_vis[rows] = xy, world, vis
    fixed = replace(track, image_xy=out_xy, world=out_world, visibility=out_vis)
    return fixed, {"bodySwapFrames": int(body.sum()), "limbSwapFrames": int(limbs.sum())}
