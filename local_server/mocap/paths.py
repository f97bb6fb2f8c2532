# SPDX-License-Identifier: GPL-3.0-or-later
"""The cheapest sequence of states through the frames (Viterbi): one pass shared by the left/right
labelling (`sides.py`) and the forearm's depth sign (`lifting.py`)."""
from __future__ import annotations

import numpy as np


def cheapest_states(own: np.ndarray, trans: np.ndarray) -> np.ndarray:
    """own (F, H): each state's cost per frame; trans (F, H, H): the cost of going from state h at
    frame t-1 to state h' at t, trans[t, h, h'] (trans[0] unused). Returns the state per frame, (F,)."""
    n = own.shape[0]
    cost = own[0].copy()
    back = np.zeros(own.shape, int)
    for t in range(1, n):
        step = cost[:, None] + trans[t]
        back[t] = np.argmin(step, axis=0)
        cost = step[back[t], np.arange(own.shape[1])] + own[t]
    states = np.zeros(n, int)
    states[-1] = int(np.argmin(cost))
    for t in range(n - 1, 0, -1):
        states[t - 1] = back[t, states[t]]
    return states
