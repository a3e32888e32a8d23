"""The count at the heart of :func:`.regions.lasting`, in one pass with numba.

NumPy's form, ``(np.abs(flat - own).sum(-1) < np.abs(flat - other).sum(-1)).sum(0)`` over the
gold's stills at a fixed camera's step pixels, (K, N, 3) with K about one still a second,
copies them and makes ten passes over them: 1.9 s of a 120 s pair's scoring. The kernel does
the same arithmetic in the same order, in the inputs' precision, so the counts are the same;
it reads the stills pixel by pixel, as :func:`.regions.gold_changes` hands them over (a
step's pixels picked out of the stills: each pixel's K stills lie together). It is loaded
from numba's cache (:mod:`..align._jit`) in the background while the videos decode
(:mod:`..warm_kernels`); the scene package imports it on first use only.
"""
from __future__ import annotations

import numpy as np

from ..align._jit import cached_njit


@cached_njit(nogil=True)
def closer_count(stills, own, other):  # pragma: no cover - compiled
    """stills (N, K, 3): K pictures at N pixels; own and other (N, 3) -> (N,) int64: in how
    many of the pictures each pixel is closer to ``own`` than to ``other`` (|difference|
    summed over the channels, in order)."""
    n, k = stills.shape[0], stills.shape[1]
    count = np.zeros(n, np.int64)
    for p in range(n):
        a0, a1, a2 = own[p, 0], own[p, 1], own[p, 2]
        b0, b1, b2 = other[p, 0], other[p, 1], other[p, 2]
        c = 0
        for i in range(k):
            x0, x1, x2 = stills[p, i, 0], stills[p, i, 1], stills[p, i, 2]
            if abs(x0 - a0) + abs(x1 - a1) + abs(x2 - a2) < abs(x0 - b0) + abs(x1 - b1) + abs(x2 - b2):
                c += 1
        count[p] = c
    return count
