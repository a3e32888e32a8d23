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

from ..align._jit import cached_njit


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


@cached_njit(nogil=True)
def _prominences(x, peaks):  # pragma: no cover - compiled
    """x (N,) float64, peaks (P,) int64 -> (P,) float64, scanned as SciPy scans (see below)."""
    n = len(x)
    out = np.empty(len(peaks))
    for k in range(len(peaks)):
        p = peaks[k]
        v = x[p]
        left, right = v, v
        i = p
        while i >= 0 and x[i] <= v:  # a NaN, like a higher value, ends the side
            left = min(left, x[i])
            i -= 1
        i = p
        while i < n and x[i] <= v:
            right = min(right, x[i])
            i += 1
        out[k] = v - max(left, right)
    return out


def prominences(x: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """(P,) float64: each peak's height above the higher of the lowest values on its left and
    on its right, each side scanned outward from the peak up to the first value above it (or a
    NaN, or the signal's end), as SciPy scans it (a numba kernel: a 4-hour gold's curve has
    thousands of peaks)."""
    return _prominences(np.ascontiguousarray(x, np.float64), np.ascontiguousarray(peaks, np.int64))


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
