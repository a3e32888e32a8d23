"""The counts at the heart of :func:`.lasting.lasting`, in one pass each with numba.

NumPy's form, ``(np.abs(flat - own).sum(-1) < np.abs(flat - other).sum(-1)).sum(0)`` over the
gold's stills at a fixed camera's step pixels, (K, N, 3) with K about one still a second,
copies them and makes ten passes over them: 1.9 s of a 120 s pair's scoring. The kernel does
the same arithmetic in the same order, in the inputs' precision, so the counts are the same;
it reads the stills as :func:`.regions.gold_changes` hands them over, still after still (a
step's pixels picked out of each, (K, N, 3) in order), and copies nothing. It is loaded
from numba's cache (:mod:`..align._jit`) in the background while the videos decode
(:mod:`..warm_kernels`); the scene package imports it on first use only.
"""
from __future__ import annotations

import numpy as np

from ..align._jit import cached_njit


@cached_njit(nogil=True)
def closer_count(stills, at, own, other):  # pragma: no cover - compiled
    """stills (K, M, 3): K pictures at M pixels; at (N,) int64: the N pixels asked (indices
    into the M); own and other (N, 3) -> (N,) int64: in how many of the pictures each asked
    pixel is closer to ``own`` than to ``other`` (|difference| summed over the channels, in
    order). Still after still, the asked pixels in the order given (ascending: one sweep)."""
    k, n = stills.shape[0], len(at)
    count = np.zeros(n, np.int64)
    for i in range(k):
        for p in range(n):
            q = at[p]
            x0, x1, x2 = stills[i, q, 0], stills[i, q, 1], stills[i, q, 2]
            if (abs(x0 - own[p, 0]) + abs(x1 - own[p, 1]) + abs(x2 - own[p, 2])
                    < abs(x0 - other[p, 0]) + abs(x1 - other[p, 1]) + abs(x2 - other[p, 2])):
                count[p] += 1
    return count


@cached_njit(nogil=True)
def like_count(stills, at, ref, other):  # pragma: no cover - compiled
    """stills (K, M, 3), at (N,) int64 (as :func:`closer_count`), ref and other (N, 3) -> (N,)
    int64: in how many of the pictures each asked pixel is within a third of the change
    (``other`` to ``ref``) of ``ref`` (|difference| summed over the channels): it looks like
    ``ref`` there, not merely closer to it than to ``other`` (a third look, the performer's arm
    over the pixel, is like neither)."""
    k, n = stills.shape[0], len(at)
    count = np.zeros(n, np.int64)
    tol = np.empty(n, np.float64)  # as the scalar the sum / 3.0 makes
    for p in range(n):
        tol[p] = (abs(ref[p, 0] - other[p, 0]) + abs(ref[p, 1] - other[p, 1]) + abs(ref[p, 2] - other[p, 2])) / 3.0
    for i in range(k):
        for p in range(n):
            q = at[p]
            if (abs(stills[i, q, 0] - ref[p, 0]) + abs(stills[i, q, 1] - ref[p, 1])
                    + abs(stills[i, q, 2] - ref[p, 2])) < tol[p]:
                count[p] += 1
    return count
