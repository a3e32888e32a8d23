"""Peaks of a 1-D signal by distance and prominence: what ``scipy.signal.find_peaks(x,
distance=d, prominence=p)`` returns, without importing ``scipy.signal`` (about 0.7-1 s of
imports in every fresh process, for this one function).

The same steps in the same order as SciPy (1.17): local maxima, a plateau counted once at
its middle (left index of the two middle ones); peaks closer than ``distance`` dropped, the
highest kept first (``np.argsort`` order, as SciPy); then the prominences of the rest, each
peak's height above the higher of the lowest points on its two sides before a higher point
(no window), kept at ``prominence`` or more. Comparisons and one subtraction per peak only,
so the result is the same, not close (tests/test_peaks.py checks it against SciPy).
"""
from __future__ import annotations

import math

import numpy as np


def local_maxima(x: np.ndarray) -> np.ndarray:
    """x (N,) float64 -> (P,) int64 indices of the local maxima (plateaus: their middle)."""
    xs = x.tolist()
    out, i, last = [], 1, len(xs) - 1
    while i < last:
        if xs[i - 1] < xs[i]:
            ahead = i + 1
            while ahead < last and xs[ahead] == xs[i]:
                ahead += 1
            if xs[ahead] < xs[i]:
                out.append((i + ahead - 1) // 2)
                i = ahead
        i += 1
    return np.asarray(out, np.int64)


def by_distance(peaks: np.ndarray, priority: np.ndarray, distance: float) -> np.ndarray:
    """(P,) bool: the peaks kept when, from the highest ``priority`` down, each kept peak
    drops the others closer than ``distance`` samples."""
    d = math.ceil(distance)
    p = peaks.tolist()
    keep = [True] * len(p)
    for j in np.argsort(priority)[::-1].tolist():
        if not keep[j]:
            continue
        k = j - 1
        while k >= 0 and p[j] - p[k] < d:
            keep[k] = False
            k -= 1
        k = j + 1
        while k < len(p) and p[k] - p[j] < d:
            keep[k] = False
            k += 1
    return np.asarray(keep, bool)


def prominences(x: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """(P,) float64: each peak's height above the higher of the lowest values on its left and
    on its right, each side reaching to the first value above the peak (or the signal's end)."""
    out = np.empty(len(peaks))
    for n, p in enumerate(peaks.tolist()):
        higher_left = np.flatnonzero(x[:p] > x[p])
        higher_right = np.flatnonzero(x[p + 1:] > x[p])
        lo = int(higher_left[-1]) + 1 if higher_left.size else 0
        hi = p + 1 + int(higher_right[0]) if higher_right.size else len(x)
        out[n] = x[p] - max(x[lo:p + 1].min(), x[p:hi].min())
    return out


def find_peaks(x: np.ndarray, distance: float, prominence: float) -> np.ndarray:
    """x (N,) -> (P,) int64 indices of its peaks at least ``distance`` (>= 1) samples apart
    with at least ``prominence``: ``scipy.signal.find_peaks(x, distance=distance,
    prominence=prominence)[0]``."""
    if distance < 1:
        raise ValueError("distance must be at least 1")
    x = np.ascontiguousarray(x, np.float64)
    peaks = local_maxima(x)
    peaks = peaks[by_distance(peaks, x[peaks], distance)]
    return peaks[prominence <= prominences(x, peaks)]
