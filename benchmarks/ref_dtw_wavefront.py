"""Reference for the DTW benchmark: a vectorised NumPy anti-diagonal wavefront.

Same recurrence, float64 accumulation and tie-break (diagonal, up, left) as
``sopilot_resources.align``; each anti-diagonal is a few NumPy vector ops over strided views of
the full float32 cost matrix, directions go to an (N, M) uint8 matrix, traceback in Python.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


def wavefront_dtw(cost: np.ndarray) -> tuple[np.ndarray, float]:
    """cost: (N, M) float32 C-contiguous -> (path (K, 2) int64, total)."""
    n, m = cost.shape
    dirs = np.empty((n, m), np.uint8)
    bufs = [np.full(n + 2, np.inf) for _ in range(3)]
    bufs[0][0] = 0.0  # D[-1, -1]: so D[0, 0] = c[0, 0]
    item, stride = cost.itemsize, (m - 1)
    for k in range(n + m - 1):
        dkm2, dkm1, dk = bufs[k % 3], bufs[(k + 1) % 3], bufs[(k + 2) % 3]
        lo, hi = max(0, k - m + 1), min(n - 1, k)
        cnt = hi - lo + 1
        off = lo * stride + k
        c = as_strided(cost.ravel()[off:], (cnt,), (stride * item,))
        d = as_strided(dirs.ravel()[off:], (cnt,), (stride,), writeable=True)
        diag, up, left = dkm2[lo : hi + 1], dkm1[lo : hi + 1], dkm1[lo + 1 : hi + 2]
        best = np.minimum(diag, up)
        code = (up < diag).astype(np.uint8)
        is_left = left < best
        np.copyto(best, left, where=is_left)
        code[is_left] = 2
        d[:] = code
        np.add(best, c, out=dk[lo + 1 : hi + 2])
        dk[hi + 2] = np.inf
        dk[0] = np.inf
    total = float(bufs[(n + m) % 3][n])  # diagonal n+m-2 lives in bufs[(n+m) % 3]
    i, j, path = n - 1, m - 1, [(n - 1, m - 1)]
    while i or j:
        code = dirs[i, j] if i and j else (1 if i else 2)
        i, j = (i - 1, j - 1) if code == 0 else ((i - 1, j) if code == 1 else (i, j - 1))
        path.append((i, j))
    return np.array(path[::-1], dtype=np.int64), total
