"""Subsequence (open-begin, open-end) DTW: where in a long sequence does a short query occur?

For a query (n, D) - e.g. the clips of one gold step - and a reference (M, D) - the whole
trainee video - the DP is the DTW recurrence with a free start anywhere in row 0:
    D[0, j] = c[0, j],   D[i, j] = c[i, j] + min(D[i-1, j-1], D[i-1, j], D[i, j-1])   (i > 0),
same tie-break as ``dtw_numba`` (diagonal, up, left). Alongside D the kernel carries each cell's
path start column and path length, so every end column j yields one candidate match
[start_j, j] with its total cost and mean cost per path step. Two rows of state; no traceback.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._jit import cached_njit
from .cost import cost_block, l2_normalize
from .validate import AlignmentInputError, check_cost, check_embeddings


@dataclass(frozen=True)
class Match:
    """One occurrence of the query in the reference: clips ``start..end`` (inclusive) of ref.
    cost: total accumulated cosine cost of the path; mean_cost: cost / path length (steps)."""

    start: int
    end: int
    cost: float
    mean_cost: float
    length: int


@cached_njit(nogil=True)
def subsequence_dp(cost):  # pragma: no cover - compiled
    """cost: (n, M) float32 -> (total (M,) float64, start (M,) int64, length (M,) int64) of the
    best path ending at (n-1, j) for every j."""
    n, m = cost.shape
    acc = np.empty((2, m + 1))  # row i in acc[i & 1]; entry 0 is column -1 (inf)
    beg = np.zeros((2, m + 1), np.int64)
    steps = np.zeros((2, m + 1), np.int64)
    acc[0, 0] = np.inf
    for j in range(m):
        acc[0, j + 1] = cost[0, j]
        beg[0, j + 1] = j
        steps[0, j + 1] = 1
    for i in range(1, n):
        pa, pb, ps = acc[(i - 1) & 1], beg[(i - 1) & 1], steps[(i - 1) & 1]
        ca, cb, cs = acc[i & 1], beg[i & 1], steps[i & 1]
        ca[0] = np.inf
        left, lb, ls = np.inf, 0, 0
        crow = cost[i]
        for j in range(m):
            best, b, s = pa[j], pb[j], ps[j]
            if pa[j + 1] < best:
                best, b, s = pa[j + 1], pb[j + 1], ps[j + 1]
            if left < best:
                best, b, s = left, lb, ls
            left, lb, ls = best + crow[j], b, s + 1
            ca[j + 1], cb[j + 1], cs[j + 1] = left, lb, ls
    last = (n - 1) & 1
    return acc[last, 1:].copy(), beg[last, 1:].copy(), steps[last, 1:].copy()


@cached_njit(nogil=True)
def _greedy_pick(order, start, k, sep):  # pragma: no cover - compiled
    """Indices (end columns) taken greedily in ``order``, skipping overlaps (+ sep)."""
    m = order.size
    taken = np.zeros(m, np.bool_)
    out = np.empty(k, np.int64)
    count = 0
    for idx in range(m):
        e = order[idx]
        s = start[e]
        lo, hi = max(0, s - sep), min(m, e + sep + 1)
        free = True
        for t in range(lo, hi):
            if taken[t]:
                free = False
                break
        if not free:
            continue
        taken[s : e + 1] = True
        out[count] = e
        count += 1
        if count == k:
            break
    return out[:count]


def select_matches(total, start, length, k: int, min_separation: int = 0) -> list[Match]:
    """Greedy top-k by mean cost (ties: earlier end) among the M candidates, skipping any whose
    [start - sep, end + sep] overlaps an already chosen match. Returns them best first."""
    mean = np.asarray(total, np.float64) / length
    order = np.argsort(mean, kind="stable")
    picked = _greedy_pick(order, np.asarray(start, np.int64), int(k), int(min_separation))
    return [Match(int(start[e]), int(e), float(total[e]), float(mean[e]), int(length[e]))
            for e in picked]


def subsequence_matches(query, ref, k: int = 3, min_separation: int | None = None,
                        assume_normalized: bool = False) -> list[Match]:
    """query: (n, D), ref: (M, D) clip embeddings -> up to ``k`` non-overlapping best matches
    (best first, by mean cost per path step). ``min_separation``: clips required between two
    matches (None: 0, i.e. just no shared clip). ``assume_normalized``: skip L2-normalising
    (pass rows from ``l2_normalize`` once when matching many queries against one ref)."""
    sep = _check_k_sep(k, min_separation)
    if assume_normalized:
        q, r = check_embeddings(query, "query"), check_embeddings(ref, "ref")
    else:
        q, r = l2_normalize(query, "query"), l2_normalize(ref, "ref")
    if q.shape[1] != r.shape[1]:
        raise AlignmentInputError(f"embedding dims differ: query {q.shape[1]}, ref {r.shape[1]}")
    return _matches(cost_block(q, r), k, sep)


def matches_from_cost(cost, k: int = 3, min_separation: int | None = None) -> list[Match]:
    """cost: (n, M) precomputed cost rows (e.g. a slice of one ``cosine_cost(gold, trainee)``
    shared by all steps: one GEMM instead of one per query) -> as ``subsequence_matches``."""
    sep = _check_k_sep(k, min_separation)
    c = check_cost(cost)
    if (c < 0).any():
        raise AlignmentInputError("cost: contains negative values")
    return _matches(c, k, sep)


def _matches(cost: np.ndarray, k: int, sep: int) -> list[Match]:
    total, start, length = subsequence_dp(cost)
    return select_matches(total, start, length, k, sep)


def _check_k_sep(k: int, min_separation: int | None) -> int:
    if k < 1:
        raise AlignmentInputError(f"k must be >= 1, got {k}")
    sep = 0 if min_separation is None else int(min_separation)
    if sep < 0:
        raise AlignmentInputError(f"min_separation must be >= 0, got {min_separation}")
    return sep
