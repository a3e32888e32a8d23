"""Alignment of a pair: validity of the DTW path, where the gold steps start on it (saved by
``sopilot_resources.pair_scoring``)."""

import numpy as np

ASSET = "pair_alignment"


def path_problems(path: np.ndarray, n: int, m: int) -> list[str]:
    """Why ``path`` (K, 2) is not a valid DTW path through an (n, m) cost matrix (empty: valid):
    starts at (0, 0), ends at (n-1, m-1), every move is (1,0), (0,1) or (1,1)."""
    path = np.asarray(path)
    if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
        return [f"shape {path.shape} is not (K, 2)"]
    out = []
    if tuple(path[0]) != (0, 0):
        out.append(f"starts at {tuple(int(x) for x in path[0])}, not (0, 0)")
    if tuple(path[-1]) != (n - 1, m - 1):
        out.append(f"ends at {tuple(int(x) for x in path[-1])}, not ({n - 1}, {m - 1})")
    d = np.diff(path, axis=0)
    bad = ~(((d == [1, 0]) | (d == [0, 1]) | (d == [1, 1])).all(axis=1))
    if bad.any():
        out.append(f"{int(bad.sum())} moves that are not (1,0), (0,1) or (1,1)")
    return out


def recording_path_problems(path: np.ndarray, n: int, m: int, cycles: int) -> list[str]:
    """As :func:`path_problems` for a shift recording of ``cycles`` scored cycles: the path is
    one DTW path per cycle, one after the other (a new piece where the gold index falls back);
    each runs from gold clip 0 to n-1 with valid moves, and each starts no earlier than where the previous one
    ended, inside the recording's m clips."""
    path = np.asarray(path)
    if cycles == 0:  # a segment of a recording with no whole cycle in it
        return [] if path.size == 0 else [f"a path of {len(path)} steps but no scored cycle"]
    if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
        return [f"shape {path.shape} is not (K, 2)"]
    cuts = np.flatnonzero(np.diff(path[:, 0]) < 0) + 1
    pieces = np.split(path, cuts)
    out = [] if len(pieces) == cycles else [f"{len(pieces)} path pieces for {cycles} scored cycles"]
    last = -1
    for k, p in enumerate(pieces):
        j0, j1 = int(p[0, 1]), int(p[-1, 1])
        if j0 < last or j1 >= m:  # neighbours may share the clip where their stretches meet
            out.append(f"cycle piece {k + 1} spans trainee clips {j0}-{j1} (previous ended at {last}, {m} clips)")
        last = j1
        local = p - np.array([0, j0])
        out += [f"cycle piece {k + 1}: {why}" for why in path_problems(local, n, j1 - j0 + 1)]
    return out


def gold_step_bounds(steps: list[dict], starts: np.ndarray) -> list[int]:
    """Gold clip index where each step starts (for drawing)."""
    return [int(np.searchsorted(starts, s["start_sec"])) for s in steps]
