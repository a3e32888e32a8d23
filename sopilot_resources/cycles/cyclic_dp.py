"""Cyclic alignment: a recording as repeats of one template, with time outside them.

A hidden-state path over the recording's clips. States ``0..n-1`` are the template's clips
(one cycle of the gold), state ``n`` is *outside* (idle, changeover, anything not the task).
Per recording clip the path pays the cost of its state at that clip (``cost[i, j]`` inside,
``out_cost[j]`` outside) and moves:

- inside a cycle forward by 0..``max_step`` template clips (pace up to ``max_step`` x gold),
  or further at ``skip_pen`` (a step left out);
- from the last ``max_step + 1`` template clips to outside or straight back to clip 0 (the
  next cycle right away), free; from anywhere else to outside at ``leave_pen`` (a cycle given
  up);
- from outside into clip 0 free, into any later clip at ``enter_pen``.

``free_start`` / ``free_end``: the first / last recording clip may sit in any state without
penalty (a recording that starts or stops mid-cycle). One pass, O(W x n x max_step) time;
memory: the (W, n + 1) int32 back-pointers of the window, two rows of scores.
"""
from __future__ import annotations

import numpy as np

from ..align._jit import cached_njit

OUT = -1


@cached_njit(nogil=True)
def cyclic_path(cost, out_cost, max_step, skip_pen, enter_pen, leave_pen, free_start, free_end):  # pragma: no cover
    """cost: (n, W) float32 template x recording-clip cost; out_cost: (W,) float -> (W,) int64
    state per recording clip (template clip index, or ``OUT`` = -1)."""
    n, w = cost.shape
    back = np.empty((w, n + 1), np.int32)
    prev = np.empty(n + 1)
    cur = np.empty(n + 1)
    tail = max(0, n - 1 - max_step)
    for i in range(n):
        prev[i] = cost[i, 0] + (0.0 if (free_start or i == 0) else enter_pen)
        back[0, i] = -1
    prev[n] = out_cost[0]
    back[0, n] = -1
    for j in range(1, w):
        best, arg = prev[n], n
        for i in range(n):
            v = prev[i] + (0.0 if i >= tail else leave_pen)
            if v < best:
                best, arg = v, i
        cur[n] = best + out_cost[j]
        back[j, n] = arg
        run, run_arg = np.inf, -1
        for i in range(n):
            best, arg = prev[i], i
            for k in range(1, max_step + 1):
                if i - k < 0:
                    break
                if prev[i - k] < best:
                    best, arg = prev[i - k], i - k
            p = i - max_step - 1
            if p >= 0:
                if prev[p] < run:
                    run, run_arg = prev[p], p
                if run + skip_pen < best:
                    best, arg = run + skip_pen, run_arg
            v = prev[n] + (0.0 if i == 0 else enter_pen)
            if v < best:
                best, arg = v, n
            if i == 0:
                for q in range(max(tail, 1), n):  # the next cycle right after this one
                    if prev[q] < best:
                        best, arg = prev[q], q
            cur[i] = best + cost[i, j]
            back[j, i] = arg
        for i in range(n + 1):
            prev[i] = cur[i]
    best, s = prev[n], n
    for i in range(n):
        v = prev[i] + (0.0 if (free_end or i >= tail) else leave_pen)
        if v < best:
            best, s = v, i
    states = np.empty(w, np.int64)
    for j in range(w - 1, -1, -1):
        states[j] = s if s < n else -1
        s = back[j, s]
    return states


def cycle_runs(states: np.ndarray) -> list[tuple[int, int]]:
    """states: (W,) from :func:`cyclic_path` -> [start, end) clip ranges of the cycles on it:
    maximal stretches inside the template whose state never goes back."""
    s = np.asarray(states, np.int64)
    inside = s >= 0
    cut = np.ones(len(s) + 1, bool)
    cut[1:-1] = (inside[1:] != inside[:-1]) | (inside[1:] & inside[:-1] & (s[1:] < s[:-1]))
    edges = np.flatnonzero(cut)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if inside[a]]
