"""Brute-force references for the alignment tests: enumerate every monotone path."""
from __future__ import annotations

import itertools

import numpy as np

STEPS = ((1, 1), (1, 0), (0, 1))


def all_paths(start, end):
    """Every path from start to end (inclusive) with steps (1,1), (1,0), (0,1)."""
    if start == end:
        yield [start]
        return
    for di, dj in STEPS:
        nxt = (start[0] + di, start[1] + dj)
        if nxt[0] <= end[0] and nxt[1] <= end[1]:
            for rest in all_paths(nxt, end):
                yield [start] + rest


def path_cost(cost, path) -> float:
    """Sum in path order, float64 (the order the DP accumulates in)."""
    total = 0.0
    for i, j in path:
        total += float(cost[i, j])
    return total


def brute_dtw(cost) -> float:
    n, m = cost.shape
    return min(path_cost(cost, p) for p in all_paths((0, 0), (n - 1, m - 1)))


def brute_subsequence(cost):
    """-> dict end j -> min total over starts j0 <= j; and (j0, j1, length) -> min total."""
    n, m = cost.shape
    by_end, by_span = {}, {}
    for j0, j1 in itertools.combinations_with_replacement(range(m), 2):
        for p in all_paths((0, j0), (n - 1, j1)):
            c = path_cost(cost, p)
            by_end[j1] = min(by_end.get(j1, np.inf), c)
            key = (j0, j1, len(p))
            by_span[key] = min(by_span.get(key, np.inf), c)
    return by_end, by_span
