"""The route of a moving camera: which of the gold's stations it stopped at, in which order
(:mod:`.pan`: its stops, from how the whole view moves, not from recognising each station).

A station skipped is passed in one move from the station before it to the one after
(:func:`skipped`); two stations worked the other way round show in the order of the stops
(:func:`out_of_order`); work off the gold's way as a return to a station already left, or a
detour ahead to one the camera comes back to (:func:`detours`). Correct performances stop at
the stations in the gold's order.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .pan import stays

#: a station of its own: at least this share of the view's width from every other step's
#: (only such a step can be skipped or reached out of order: a stop is a stop for every step
#: at its station)
DISTINCT = 0.15


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
