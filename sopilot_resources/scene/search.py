"""Where in the trainee's video does a gold step's change happen, if anywhere?

The clips place a step only where its motion looks like the gold's; the pictures can find its
*result* wherever it was made. The trainee's settled scene is sampled every ``STATE_STEP`` s
and registered onto the gold's frame: the gold's end scene when the gold's camera is fixed (one
reference for every step), else the gold's scene at the moment the alignment pairs with it (a
camera that moves between stations; then only trainee moments paired with the neighbourhood of
the step are searched). For a step, every pair of sampled scenes 0.5-3 gold-step durations
apart is compared over the step's region: the pair whose change correlates best with the
gold's is where the trainee made it.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .pictures import StillCache, flatten_light, scene_workers, settled
from .regions import MIN_REGION, GoldChange, correlation
from .register import agreement, register, view

#: the trainee's scene is sampled every STATE_STEP s (settled over +-STATE_HALF s)
STATE_STEP, STATE_HALF = 1.0, 0.75
#: the gold's camera counts as fixed when its first and last scenes agree this well unwarped
FIXED_AGREE = 0.7
#: ... or when registering one onto the other moves no corner more than this (px at 320 px)
FIXED_PX = 6.0
#: with a moving camera, trainee moments paired with gold moments this far (s) outside a step
#: are not searched for it
NEAR_SEC = 2.0
#: a pair of scenes whose change over the region is under this share of the gold's is not a
#: match, however well it correlates (seed 0's valve: 0.76 at 0.05x, for a step done wrongly)
MIN_SIZE = 0.25
#: when a change was made: the earliest later scene of a pair within WHEN_TOL of the best
#: agreement (the best pair alone may end seconds after the change)
WHEN_TOL = 0.05


@dataclass
class TraineeScenes:
    """times (K,): trainee seconds; flat: K flattened scenes in the gold's frame (None: not
    registered, or not made: not near any step searched); gold_times (K,): the gold moment
    each was registered onto (fixed camera: all NaN, any gold moment)."""

    times: np.ndarray
    flat: list[np.ndarray | None]
    gold_times: np.ndarray


def gold_is_fixed(g: StillCache) -> bool:
    """The gold's first and last scenes agree unwarped (FIXED_AGREE), or registering one onto
    the other moves no corner of the picture more than FIXED_PX (a fixed camera over a work
    area whose many results make the two scenes differ)."""
    start, end = float(g.stills.times[0]), float(g.stills.times[-1])
    a, b = settled(g.window(start, start + 2.0)), settled(g.window(end - 2.0, end))
    if agreement(a, b, np.eye(3)) >= FIXED_AGREE:
        return True
    reg = register(a, b)
    if not reg.ok:
        return False
    h, w = a.shape[:2]
    corners = np.float32([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]])
    moved = corners @ np.asarray(reg.warp, np.float64).T
    moved = moved[:, :2] / moved[:, 2:]
    return float(np.abs(moved - corners[:, :2]).max()) <= FIXED_PX * max(h, w) / 320


def near_gold(gold_times: np.ndarray, span: tuple[float, float]) -> np.ndarray:
    """(K,) bool: the samples registered onto gold moments within NEAR_SEC of the gold step at
    ``span`` seconds, the ones searched for its change (a fixed camera, ``gold_times`` NaN: all)."""
    return np.isnan(gold_times) | ((gold_times >= span[0] - NEAR_SEC) & (gold_times <= span[1] + NEAR_SEC))


def trainee_scenes(t: StillCache, g: StillCache, fixed: bool, gold_end: np.ndarray,
                   to_gold: Callable[[float], float],
                   spans: list[tuple[float, float]] | None = None) -> TraineeScenes:
    """The trainee's sampled, registered scenes (``to_gold``: trainee seconds -> the gold
    seconds the alignment pairs them with; ``gold_end``: the gold's settled end scene). The
    scenes are independent of each other, so they are made by :func:`scene_workers` threads
    (OpenCV and NumPy's array work runs outside the GIL); the result does not depend on it.
    ``spans``: the gold steps (start, end) s that will be searched: only the samples
    :func:`near_gold` one of them are made (the others' ``flat`` is None: :func:`change_anywhere`
    for those steps never reads them); None: every sample. A fixed camera's samples are near
    every step; its one reference is prepared for registration once."""
    first, end = float(t.stills.times[0]), float(t.stills.times[-1])
    # from the first still (0 in a video; a cycle of a shift recording starts minutes in, and
    # sampling from second 0 made each cycle cost its start time)
    lo = first + STATE_HALF
    times = np.arange(lo, max(end - STATE_HALF, lo) + 1e-6, STATE_STEP)
    size = (gold_end.shape[1], gold_end.shape[0])
    gold_times = np.full(len(times), np.nan) if fixed else np.array([float(to_gold(x)) for x in times])
    wanted = np.ones(len(times), bool) if spans is None else np.zeros(len(times), bool)
    for sp in spans or []:
        wanted |= near_gold(gold_times, sp)
    # the gold's scene each is registered onto: one per window of gold stills (a slow trainee
    # maps many times to one); with no still in the window, the nearest one, which depends on gt
    keys = [None if fixed else tuple(g.stills.between(gt - STATE_HALF, gt + STATE_HALF)) or ("at", gt)
            for gt in gold_times]
    with ThreadPoolExecutor(scene_workers(), thread_name_prefix="sopilot-scene") as pool:
        todo = {k: gt for k, gt, w in zip(keys, gold_times, wanted) if k is not None and w}
        refs = dict(zip(todo, pool.map(lambda gt: view(settled(g.window(gt - STATE_HALF, gt + STATE_HALF))),
                                       todo.values())))
        if fixed and wanted.any():
            refs[None] = view(gold_end)

        def one(j: int) -> np.ndarray | None:
            x = times[j]
            scene = settled(t.window(x - STATE_HALF, x + STATE_HALF))
            reg = register(refs[keys[j]], scene)
            return flatten_light(reg.apply(scene, size)) if reg.ok else None

        flat = list(pool.map(lambda j: one(j) if wanted[j] else None, range(len(times))))
    return TraineeScenes(times, flat, gold_times)


def change_anywhere(gc: GoldChange, span: tuple[float, float], scenes: TraineeScenes
                    ) -> tuple[float, float, float, float] | None:
    """Best match of gold change ``gc`` (of the gold step at ``span`` seconds) in the trainee:
    (agreement, magnitude, observed share of the region, trainee seconds by which it was made:
    the earliest later scene of a pair matching within WHEN_TOL of the best), among the pairs whose change is at least MIN_SIZE of the gold's (none does: agreement 0,
    with the largest size seen); None when no pair of registered scenes shows the region."""
    duration = max(span[1] - span[0], STATE_STEP)
    near = near_gold(scenes.gold_times, span)
    ys, xs = np.nonzero(gc.region)
    box = (slice(max(0, ys.min() - 2), ys.max() + 3), slice(max(0, xs.min() - 2), xs.max() + 3))
    region, change = gc.region[box], gc.change[box]
    best = faint = None
    cands = []
    for j in range(len(scenes.times)):
        if scenes.flat[j] is None or not near[j]:
            continue
        later = scenes.flat[j][box]
        for i in range(j):
            gap = scenes.times[j] - scenes.times[i]
            if scenes.flat[i] is None or not near[i] or not (0.5 * duration <= gap <= 3.0 * duration + STATE_STEP):
                continue
            dt = later - scenes.flat[i][box]
            seen = region & np.isfinite(dt).all(-1) & np.isfinite(change).all(-1)
            if seen.sum() < max(MIN_REGION, 0.5 * region.sum()):
                continue
            a, b = change[seen].ravel(), dt[seen].ravel()
            cand = (correlation(a, b), float(np.linalg.norm(b) / (np.linalg.norm(a) + 1e-6)),
                    float(seen.sum() / region.sum()), float(scenes.times[j]))
            if cand[1] < MIN_SIZE:  # a faint flicker that happens to correlate: not the change
                faint = cand if faint is None or cand[1] > faint[1] else faint
                continue
            cands.append(cand)
            if best is None or cand[0] > best[0]:
                best = cand
    if best is None and faint is not None:  # the region was seen, and never changed that much
        return (0.0, *faint[1:])
    if best is not None:  # when: the first later scene that already shows the change (about) as well
        best = (*best[:3], min(c[3] for c in cands if c[0] >= best[0] - WHEN_TOL))
    return best
