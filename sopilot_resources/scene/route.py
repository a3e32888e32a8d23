"""The route of a moving camera: which of the gold's stations it stopped at, in which order,
read from how the whole view moves, not from recognising each station.

A body-worn (or panning) camera recognised at a station only when that station's features
match (:mod:`.stations`) says nothing where they do not: a fast performer's brief stay, a
blurred or harshly lit view. How the view *moves* is there throughout: the shift between
consecutive settled scenes (phase correlation of their high-passed grey, OpenCV), summed,
is the camera's pan path. The camera stops at a station (its speed dips to a stop, or to a
clear minimum between two moves) and moves on to the next; a station skipped is passed in
one move from the station before it to the one after.

The gold's path gives each step's station a position (where the gold's camera is at the end
of the step). Each stop of the trainee's camera is snapped to the nearest station's position
and the path re-anchored there, so the drift of summed shifts does not build up over a long
route. A step's station that the trainee's camera never stopped at, between stations it did
stop at before and after, was skipped (:func:`skipped`).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

#: a stop: the camera's speed (width shares per sample) at most STOP_SPEED ...
STOP_SPEED = 0.03
#: ... or a local minimum at most DIP times the peaks of the moves on either side of it (a
#: fast performer slows down at a station without quite stopping)
DIP = 0.6
#: a station of its own: at least this share of the view's width from every other step's
#: (only such a step can be skipped or reached out of order: a stop is a stop for every step
#: at its station)
DISTINCT = 0.15


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


def visited(path: np.ndarray, stations: np.ndarray) -> list[int]:
    """The stations the camera of ``path`` stopped at, in order, each stay once (:func:`stays`)."""
    return [k for k, _, _ in stays(path, stations)]


def detours(route: list[int]) -> list[int]:
    """Indices of the stays of ``route`` that are work off the gold's way: a *return* to a
    station the camera had already left for a later one (k ... j > k ... k), and a *detour
    ahead*, a first stop at a station the camera comes back to after first reaching an earlier
    one (j ... k < j first ... j). Correct performances stop at the stations in the gold's
    order; these are the extra work."""
    out = []
    for i, k in enumerate(route):
        before = route[:i]
        if k in before:
            last = len(before) - 1 - before[::-1].index(k)
            if any(x > k for x in route[last + 1:i]):
                out.append(i)  # back to a station already left for a later one
            continue
        again = [m for m in range(i + 1, len(route)) if route[m] == k]
        if again and any(route[m] < k and route[m] not in route[:m] for m in range(i + 1, again[0])):
            out.append(i)  # ahead to a station it will come back to
    return out


def out_of_order(route: list[int]) -> dict[int, int]:
    """Station -> the highest later station the camera of ``route`` had stopped at before its
    first stop there: the stations reached against the gold's order (a station stopped at
    again later, going back, is not; leave :func:`detours` out first)."""
    out: dict[int, int] = {}
    seen: set[int] = set()
    highest = -1
    for k in route:
        if k not in seen and k < highest:
            out[k] = highest
        seen.add(k)
        highest = max(highest, k)
    return out


def station_positions(times: np.ndarray, path: np.ndarray, spans: list[tuple[float, float]],
                      before_end: float = 0.5) -> np.ndarray:
    """(S, 2) where the gold's camera (``path`` (K, 2) at ``times`` (K,)) is ``before_end`` s
    before each step (``spans``) ends: at the step's station."""
    at = [int(np.argmin(np.abs(times - (b - before_end)))) for _, b in spans]
    return path[at]


def skipped(route: list[int], n: int) -> np.ndarray:
    """(n,) bool: the stations ``route`` never stopped at, with stops at an earlier and a
    later station (a route that ends early or starts late skips nothing it did not pass)."""
    if not route:
        return np.zeros(n, bool)
    lo, hi = min(route), max(route)
    return np.array([lo < s < hi and s not in route for s in range(n)], bool)


@dataclass(frozen=True)
class Route:
    """A trainee camera's route over the gold steps' S stations: ``stations`` the steps whose
    stations it stopped at, in order, each stay once; ``seconds`` the (first, last) trainee
    second of each stay; ``skipped`` (S,) bool the steps whose station it passed without
    stopping; ``late`` step -> the later step at whose station it stopped before first
    stopping at this one's (reached against the gold's order); ``extra`` the indices of the
    stays off the gold's way (:func:`detours`: returns and detours ahead); ``distinct`` (S,)
    bool the steps whose station stands apart from every other step's (DISTINCT)."""

    stations: list[int]
    seconds: list[tuple[float, float]]
    skipped: np.ndarray
    late: dict[int, int]
    extra: list[int]
    distinct: np.ndarray

    @property
    def stopped(self) -> set[int]:
        """The steps at a station of their own that the camera stopped at on the gold's way."""
        return {k for i, k in enumerate(self.stations) if i not in self.extra and self.distinct[k]}

    def to_dict(self) -> dict:
        """The route for a deviation's evidence (steps counted from 1, as in the messages)."""
        return {"route": [k + 1 for k in self.stations],
                "route_sec": [[round(a, 2), round(b, 2)] for a, b in self.seconds]}


def trainee_route(positions: np.ndarray, times: np.ndarray, path: np.ndarray) -> Route:
    """The route of the trainee camera whose pan ``path`` (K, 2) at ``times`` (K,) s starts
    where the gold's does, over the gold steps' station ``positions`` (S, 2,
    :func:`station_positions`); only a step whose station stands apart from every other
    step's (DISTINCT) is ever skipped or late."""
    apart = np.hypot(*(positions[:, None] - positions[None]).transpose(2, 0, 1)) + np.eye(len(positions)) * 1e9
    distinct = apart.min(1) >= DISTINCT
    found = stays(path, positions)
    route = [k for k, _, _ in found]
    extra = [i for i in detours(route) if distinct[route[i]]]
    kept = [k for i, k in enumerate(route) if i not in extra]
    late = {k: j for k, j in out_of_order(kept).items() if distinct[k] and distinct[j]}
    return Route(route, [(float(times[a]), float(times[b])) for _, a, b in found],
                 skipped(route, len(positions)) & distinct, late, extra, distinct)
