"""Moving average of clip vectors along time: what ``scipy.ndimage.uniform_filter1d(x, size,
axis=0, mode="nearest")`` returns, without importing ``scipy.ndimage`` (~0.3 s of every cold
process, for this one filter).

SciPy's arithmetic, step by step, so the values are the same, not close: per column, in
float64, the sum of the first window (edge rows repeated: ``size // 2`` before the first row,
the rest after the last), then a running sum that adds the row entering and subtracts the row
leaving (their difference first); each output is the running sum divided by ``size``, rounded
to the input's dtype. tests/test_smooth.py checks it against SciPy.
"""
from __future__ import annotations

import numpy as np

from ..align._jit import cached_njit


@cached_njit(nogil=True)
def _running_mean(x, size):  # pragma: no cover - compiled
    """x: (N, D) float32 C-contiguous; size >= 1 -> (N, D) float32."""
    n, d = x.shape
    before = size // 2
    out = np.empty((n, d), x.dtype)
    acc = np.zeros(d)
    for k in range(size):
        r = min(max(k - before, 0), n - 1)
        for c in range(d):
            acc[c] += np.float64(x[r, c])
    for c in range(d):
        out[0, c] = acc[c] / size
    for i in range(1, n):
        enter = min(max(i + size - 1 - before, 0), n - 1)
        leave = min(max(i - 1 - before, 0), n - 1)
        for c in range(d):
            acc[c] += np.float64(x[enter, c]) - np.float64(x[leave, c])
            out[i, c] = acc[c] / size
    return out


def moving_average(x: np.ndarray, size: int) -> np.ndarray:
    """x (N, D), N >= 1 -> (N, D) float32: each row the mean of the ``size`` rows centred on it
    (``size // 2`` before), the first and last rows repeated beyond the ends:
    ``scipy.ndimage.uniform_filter1d(x, size, axis=0, mode="nearest")`` for float32 ``x``."""
    if size < 1:
        raise ValueError("size must be at least 1")
    x = np.ascontiguousarray(x, np.float32)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"x must be (N, D) with N >= 1, got {x.shape}")
    return _running_mean(x, int(size))
