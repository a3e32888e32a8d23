"""A moving camera's pan path and its stops, read from how the whole view moves.

The shift between consecutive settled scenes (phase correlation of their high-passed grey,
OpenCV), summed, is the camera's pan path: it is there where no station is recognised (a fast
performer's brief stay, a blurred or harshly lit view). The camera stops at a station (its
speed dips to a stop, or to a clear minimum between two moves); each stop is snapped to the
nearest of the gold's station positions (the gold's own path at each step's end) and the path
re-anchored there, so the drift of summed shifts does not build up over a long route.
:mod:`.route` reads the order of the stays.
"""
from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

#: a stop: the camera's speed (width shares per sample) at most STOP_SPEED ...
STOP_SPEED = 0.03
#: ... or a local minimum at most DIP times the peaks of the moves on either side of it (a
#: fast performer slows down at a station without quite stopping)
DIP = 0.6


def pan_path(hps: Iterable[np.ndarray]) -> np.ndarray:
    """(K, 2) the view's position at each of K consecutive pictures, in shares of the picture's
    width from the first (x grows as the scene moves right in the view, i.e. the camera pans
    left); ``hps``: their high-passed greys (:attr:`.register.View.hp`), each (H, W) float32,
    consumed one at a time (only the previous one is kept)."""
    steps, prev, window = [], None, None
    for hp in hps:
        if prev is None:
            steps.append((0.0, 0.0))
        else:
            if window is None:
                window = cv2.createHanningWindow(hp.shape[::-1], cv2.CV_32F)
            (dx, dy), _ = cv2.phaseCorrelate(prev, hp, window)
            steps.append((dx / hp.shape[1], dy / hp.shape[1]))
        prev = hp
    return np.cumsum(np.asarray(steps, np.float64).reshape(-1, 2), axis=0)


def speed(path: np.ndarray) -> np.ndarray:
    """(K,) the view's speed at each picture of ``path`` (K, 2): centred differences, so a
    video whose pictures repeat every other sample (stills kept at a lower rate) reads no
    false stops."""
    if len(path) < 3:
        return np.zeros(len(path))
    v = np.empty(len(path))
    v[1:-1] = np.hypot(*(path[2:] - path[:-2]).T) / 2.0
    v[0], v[-1] = v[1], v[-2]
    return v


def stops(v: np.ndarray) -> list[int]:
    """Indices of the stops in speed ``v`` (K,): the middle of each run of local minima that is
    at most STOP_SPEED, or at most DIP times the smaller of the peaks either side of it."""
    n = len(v)
    lows = [i for i in range(n) if v[i] <= v[max(0, i - 1):i + 2].min() + 1e-12]
    runs: list[list[int]] = []
    for i in lows:
        if runs and i - runs[-1][-1] == 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    mids = [r[len(r) // 2] for r in runs]
    out = []
    for j, i in enumerate(mids):
        lo = mids[j - 1] if j > 0 else 0
        hi = mids[j + 1] if j + 1 < len(mids) else n - 1
        if v[i] <= STOP_SPEED or v[i] <= DIP * min(v[lo:i + 1].max(), v[i:hi + 1].max()):
            out.append(i)
    return out


def stays(path: np.ndarray, stations: np.ndarray) -> list[tuple[int, int, int]]:
    """The camera's stays at the stations (``stations`` (S, 2), positions on the gold's path)
    along ``path`` (K, 2, starting where the gold's starts), in order: (station, first stop,
    last stop), the stops as indices into ``path``; each stop is snapped to the nearest
    station and the path re-anchored there, consecutive stops at one station are one stay."""
    offset, out = np.zeros(2), []
    for i in stops(speed(path)):
        k = int(np.argmin(np.hypot(*(stations - (path[i] + offset)).T)))
        offset = stations[k] - path[i]
        if out and out[-1][0] == k:
            out[-1] = (k, out[-1][1], i)
        else:
            out.append((k, i, i))
    return out


def station_positions(times: np.ndarray, path: np.ndarray, spans: list[tuple[float, float]],
                      before_end: float = 0.5) -> np.ndarray:
    """(S, 2) where the gold's camera (``path`` (K, 2) at ``times`` (K,)) is ``before_end`` s
    before each step (``spans``) ends: at the step's station."""
    at = [int(np.argmin(np.abs(times - (b - before_end)))) for _, b in spans]
    return path[at]
