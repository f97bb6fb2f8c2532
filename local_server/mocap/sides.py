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

Where the body is edge-on (turning through profile) the sides overlap in the picture and travel
cannot tell a real turn from MediaPipe mirroring the skeleton right there (it keeps taking the back
for the front). The whole-body pass then also weighs each point's acceleration: through a real
crossing each point keeps its velocity, a mislabelled one makes a kink. This second-order term
counts only on edge-on frames; on frames seen from the front, second differences of noisy 2D
only add noise (on the development set they turned 7% swapped frames of a view into 39%).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import pose_tracking as P

_PAIRS_HEAD = [(1, 4), (2, 5), (3, 6), (P.L_EAR, P.R_EAR), (9, 10)]
_PAIRS_TORSO = [(P.L_SHOULDER, P.R_SHOULDER), (P.L_HIP, P.R_HIP)]
_PAIRS_ARM = [(P.L_ELBOW, P.R_ELBOW), (P.L_WRIST, P.R_WRIST), (P.L_PINKY, P.R_PINKY), (P.L_INDEX, P.R_INDEX),
              (P.L_THUMB, P.R_THUMB)]
_PAIRS_LEG = [(P.L_KNEE, P.R_KNEE), (P.L_ANKLE, P.R_ANKLE), (P.L_HEEL, P.R_HEEL), (P.L_FOOT, P.R_FOOT)]
ALL_PAIRS = _PAIRS_HEAD + _PAIRS_TORSO + _PAIRS_ARM + _PAIRS_LEG
#: Weight of the acceleration term on edge-on frames, against the travel term.
ACCEL_WEIGHT = 10.0
#: Shoulder/hip width in the picture (torso lengths) under which the body counts as edge-on.
EDGE_ON_WIDTH = 0.3


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


def viterbi_swaps(trans: np.ndarray, prior: float) -> np.ndarray:
    """Per frame, whether to exchange the sides: trans (F, 2, 2) is the travel cost from state s at
    t-1 to state s' at t (0 = as labelled, 1 = exchanged); prior the cost of each exchanged frame."""
    n = trans.shape[0]
    own = np.array([0.0, prior])
    cost = own.copy()
    back = np.zeros((n, 2), int)
    for t in range(1, n):
        step = cost[:, None] + trans[t]
        back[t] = np.argmin(step, axis=0)
        cost = step[back[t], [0, 1]] + own
    states = np.zeros(n, int)
    states[-1] = int(np.argmin(cost))
    for t in range(n - 1, 0, -1):
        states[t - 1] = back[t, states[t]]
    return states.astype(bool)


def _robust_sq(d: np.ndarray) -> np.ndarray:
    """Each point's displacement, capped so one wild landmark cannot decide, squared and summed."""
    return np.nansum(np.minimum(np.linalg.norm(d, axis=-1), 1.0) ** 2, axis=-1)


def viterbi_swaps_smooth(travel: np.ndarray, accel: np.ndarray, prior: float) -> np.ndarray:
    """As viterbi_swaps, with a second-order term: accel (F, 2, 2, 2) the cost of the states at t-1,
    t and t+1 (each point's acceleration). The state carried is the pair (t-1, t)."""
    n = travel.shape[0]
    own = np.array([0.0, prior])
    # cost[a, b]: best cost with state a at t-1 and b at t.
    cost = own[:, None] + own[None, :] + travel[1]
    back = np.zeros((n, 2, 2), int)
    for t in range(2, n):
        # step[a, b, c] = cost[a, b] + accel at t-1 (states a, b, c) + travel b->c + own c
        step = cost[:, :, None] + accel[t - 1] + travel[t][None, :, :] + own[None, None, :]
        back[t] = np.argmin(step, axis=0)  # best a for each (b, c)
        cost = np.min(step, axis=0)
    states = np.zeros(n, int)
    b, c = np.unravel_index(int(np.argmin(cost)), cost.shape)
    states[-2:] = (b, c)
    for t in range(n - 1, 1, -1):
        a = back[t, states[t - 1], states[t]]
        states[t - 2] = a
    return states.astype(bool)


def _decide(xy, pairs, scale_px, prior: float, accel_weight: float = 0.0) -> np.ndarray:
    """Two-state Viterbi over the frames for one group of pairs; True where to exchange them.
    accel_weight > 0 adds each point's acceleration: where the sides cross in the picture (a body
    turning through profile), both labellings travel alike, but only the right one keeps each
    point's velocity through the crossing; a mislabelled crossing is a kink."""
    plain = _features(xy, pairs, scale_px)
    exchanged = _features(_exchange(xy, pairs), pairs, scale_px)
    states = (plain, exchanged)
    n = xy.shape[0]
    trans = np.zeros((n, 2, 2))
    for s0 in range(2):
        for s1 in range(2):
            trans[1:, s0, s1] = _robust_sq(states[s1][1:] - states[s0][:-1])
    if accel_weight <= 0 or n < 4:
        return viterbi_swaps(trans, prior)
    # Only where the body is edge-on (shoulder and hip lines short in the picture): elsewhere travel
    # decides, and second differences of noisy 2D only add noise.
    width = (np.linalg.norm(xy[:, P.L_SHOULDER] - xy[:, P.R_SHOULDER], axis=-1)
             + np.linalg.norm(xy[:, P.L_HIP] - xy[:, P.R_HIP], axis=-1)) / 2 / scale_px
    edge_on = np.clip(1 - width / EDGE_ON_WIDTH, 0.0, 1.0)
    accel = np.zeros((n, 2, 2, 2))
    for a in range(2):
        for b in range(2):
            for c in range(2):
                d = states[c][2:] - 2 * states[b][1:-1] + states[a][:-2]
                accel[1:-1, a, b, c] = accel_weight * edge_on[1:-1] * _robust_sq(d)
    return viterbi_swaps_smooth(trans, accel, prior)


def fix_swaps(track: P.PoseTrack, prior: float = 0.02, mirror_depth: bool = True,
              accel_weight: float = ACCEL_WEIGHT) -> tuple[P.PoseTrack, dict]:
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
    body = _decide(xy, ALL_PAIRS, scale_px, prior, accel_weight)
    xy[body] = _exchange(xy[body], ALL_PAIRS)
    vis[body] = _exchange(vis[body][..., None], ALL_PAIRS)[..., 0]
    world[body] = _exchange(world[body], ALL_PAIRS)
    if mirror_depth:
        world[body, :, 2] *= -1
    limbs = np.zeros(len(rows), bool)
    for pairs in (_PAIRS_ARM, _PAIRS_LEG):
        swap = _decide(xy, pairs, scale_px, prior)
        xy[swap] = _exchange(xy[swap], pairs)
        vis[swap] = _exchange(vis[swap][..., None], pairs)[..., 0]
        world[swap] = _exchange(world[swap], pairs)
        limbs |= swap
    out_xy, out_world, out_vis = track.image_xy.copy(), track.world.copy(), track.visibility.copy()
    out_xy[rows], out_world[rows], out_vis[rows] = xy, world, vis
    fixed = replace(track, image_xy=out_xy, world=out_world, visibility=out_vis)
    return fixed, {"bodySwapFrames": int(body.sum()), "limbSwapFrames": int(limbs.sum())}
