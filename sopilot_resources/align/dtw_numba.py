"""DTW on the CPU with numba: row-by-row DP over cost blocks, uint8 directions, traceback.

Recurrence (steps (1,1), (1,0), (0,1)), float64 accumulation of float32 costs:
    D[i, j] = c[i, j] + min(D[i-1, j-1], D[i-1, j], D[i, j-1]),  D[0, 0] = c[0, 0].
Tie-break: diagonal, then up (i-1, j), then left (i, j-1) - a candidate replaces the current
best only when strictly smaller. Direction codes: 0 diagonal, 1 up, 2 left.

Memory: two accumulated-cost rows (2 x (M+1) float64) plus the (N, M) uint8 direction matrix;
the cost matrix is never held whole (see ``dtw_embeddings_numba``).
"""
from __future__ import annotations

import numpy as np

from ._jit import cached_njit
from .cost import DEFAULT_BLOCK_BYTES, block_rows

DIAG, UP, LEFT = 0, 1, 2


def new_rows(m: int) -> np.ndarray:
    """(2, M+1) float64 DP state. Row i lives in rows[i & 1]; entry 0 is column -1 (inf).
    Starts as virtual row -1: 0 at column -1 (so D[0,0] = c[0,0]), inf elsewhere."""
    rows = np.full((2, m + 1), np.inf)
    rows[1, 0] = 0.0
    return rows


@cached_njit(nogil=True)
def dp_block(cost, rows, dirs, i0, from_similarity=False):  # pragma: no cover - compiled
    """cost: (B, M) float32 rows i0..i0+B-1; rows: (2, M+1) float64 state; dirs: (N, M) uint8.
    from_similarity: ``cost`` holds dot products s of unit rows; the kernel uses
    clip(1 - s, 0, 2) in float32 (bit-identical to ``cost.cost_block``) - saves two passes."""
    b, m = cost.shape
    one, zero, two = np.float32(1.0), np.float32(0.0), np.float32(2.0)
    for r in range(b):
        i = i0 + r
        prev = rows[(i - 1) & 1]
        cur = rows[i & 1]
        cur[0] = np.inf
        crow = cost[r]
        drow = dirs[i]
        left = np.inf
        for j in range(m):
            best = prev[j]
            code = 0
            up = prev[j + 1]
            if up < best:
                best = up
                code = 1
            if left < best:
                best = left
                code = 2
            c = crow[j]
            if from_similarity:
                c = min(max(one - c, zero), two)
            left = best + c
            cur[j + 1] = left
            drow[j] = code


@cached_njit(nogil=True)
def traceback(dirs):  # pragma: no cover - compiled
    """dirs: (N, M) uint8 codes -> (K, 2) int64 path from (0, 0) to (N-1, M-1)."""
    n, m = dirs.shape
    out = np.empty((n + m - 1, 2), np.int64)
    i, j, k = n - 1, m - 1, 0
    while True:
        out[k, 0] = i
        out[k, 1] = j
        k += 1
        if i == 0 and j == 0:
            break
        code = dirs[i, j]
        if i == 0:
            code = 2
        elif j == 0:
            code = 1
        if code == 0:
            i -= 1
            j -= 1
        elif code == 1:
            i -= 1
        else:
            j -= 1
    return out[:k][::-1].copy()


def dtw_cost_numba(cost: np.ndarray) -> tuple[np.ndarray, float]:
    """cost: (N, M) float32, validated -> (path (K, 2) int64, total float)."""
    n, m = cost.shape
    dirs = np.empty((n, m), np.uint8)
    rows = new_rows(m)
    dp_block(cost, rows, dirs, 0)
    return traceback(dirs), float(rows[(n - 1) & 1, m])


def dtw_embeddings_numba(an: np.ndarray, bn: np.ndarray, block_bytes: int = DEFAULT_BLOCK_BYTES):
    """an: (N, D), bn: (M, D) unit rows -> (path, total). Cost computed in row blocks of at most
    ``block_bytes`` (float32 GEMM), so peak memory is N*M bytes + one block + 2 rows."""
    n, m = an.shape[0], bn.shape[0]
    dirs = np.empty((n, m), np.uint8)
    rows = new_rows(m)
    step = block_rows(m, block_bytes)
    sim = np.empty((min(step, n), m), np.float32)
    for i0 in range(0, n, step):
        i1 = min(n, i0 + step)
        dp_block(np.matmul(an[i0:i1], bn.T, out=sim[: i1 - i0]), rows, dirs, i0, True)
    return traceback(dirs), float(rows[(n - 1) & 1, m])
