"""Where each gold step changes the work area: the region its result occupies.

For a gold step [a, b] the scene is taken *settled* (:func:`.settle.settled`: the performer
removed) in a window before it and a window after it (:func:`windows`); their difference,
lighting removed, is the step's change. Its region is where two such estimates, with windows
moved apart by 0.75 s (where the performer hides a pixel in the later window, the moment
right after the step), are both large and alike (the performer, caught in one window and not
in the other, is not a change of the scene), and the two estimates must correlate
(``RELIABLE``): a step that leaves nothing visible, or whose result the performer hides in
every window, has no region, and its pictures judge nothing.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from .lasting import BACK, BACK_NEAR, PERSIST_STRIDE, lasting
from .pictures import StillCache, flat_at, flatten_light, scene_workers
from .pixel_ops import channels_finite, channels_sum
from .register import same_view
from .settle import settled

REACH = 1.5
#: the gold's change region: pixels whose change exceeds REGION_K x the picture's median change
#: (and REGION_FLOOR summed grey levels); smaller than MIN_REGION px: nothing visible changed
REGION_K, REGION_FLOOR, MIN_REGION = 8.0, 15.0, 6
#: the gold's change must correlate this well with itself when its windows move by a second
RELIABLE = 0.7
#: the second estimate's windows are moved apart by SHIFT s; where the performer takes a pixel
#: in every still of its "after" window, the NEAR s right after the step stand in (its pixels
#: then held to :data:`.lasting.BACK_NEAR`)
SHIFT, NEAR = 0.75, 0.5
#: the picture's border margin, this share of its height, is where the performer's body enters
#: the view: a step region's part reaching into it is cut (:func:`off_border`), and the end
#: scenes' differences there are left out (:mod:`.outcome`)
BORDER = 0.05
#: a moving camera's step windows show one view when they agree this well unwarped, or
#: registering one onto the other moves no corner more than this (px at 320 px): as a fixed
#: camera is told (:data:`.search.FIXED_AGREE`, :data:`.search.FIXED_PX`)
ONE_VIEW_AGREE, ONE_VIEW_PX = 0.6, 6.0


def windows(spans: list[tuple[float, float]], s: int, end: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """(before, after) windows of step s among ``spans`` (seconds) of a video ``end`` s long:
    from the end of the step before (at most REACH s earlier) to just after the start, and from
    just before the end to the start of the next step (at most REACH s into it)."""
    a, b = spans[s]
    lo = min(spans[s - 1][1], a - 0.5) if s > 0 else a - 2 * REACH
    hi = max(spans[s + 1][0], b + 0.5) if s + 1 < len(spans) else b + 2 * REACH
    return (max(0.0, max(lo, a - REACH - 0.5)), a + 0.25), (b - 0.25, min(end, min(hi, b + REACH + 0.5)))


def slack_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(H, W): per pixel, the smallest |a - b| (summed over channels) over 1 px shifts of b
    (registration is good to about a pixel); NaN where either is NaN."""
    out = np.full(a.shape[:2], np.inf, np.float32)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            d = channels_sum(np.abs(a - np.roll(b, (dy, dx), (0, 1))))
            out = np.fmin(out, d)
    out[~np.isfinite(out)] = np.nan
    return out


def correlation(x: np.ndarray, y: np.ndarray) -> float:
    x, y = x - x.mean(), y - y.mean()
    return float(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y) + 1e-6))


def gold_change(g: StillCache, spans, s: int, end: float, shift: float = 0.0):
    """(before, after) settled pictures of gold step s, windows moved apart by ``shift`` s."""
    (b0, b1), (a0, a1) = windows(spans, s, end)
    return settled(g.window(b0 - shift, b1 - shift)), settled(g.window(a0 + shift, a1 + shift))


def settled_scene(g: StillCache, t0: float, t1: float, seen: dict | None = None) -> np.ndarray:
    """(H, W, 3): the settled scene of the gold's stills from t0 to t1 s. ``seen``: scenes
    already made, by the stills they were settled from (as :func:`flat_scene`'s)."""
    key = ("settled", g.indices(t0, t1)) if seen is not None else None
    if key is not None and key in seen:
        return seen[key]
    out = settled(g.window(t0, t1))
    if key is not None:
        seen[key] = out
    return out


def flat_scene(g: StillCache, t0: float, t1: float, seen: dict | None = None) -> np.ndarray:
    """(H, W, 3): the settled scene of the gold's stills from t0 to t1 s, lighting removed
    (:func:`.pictures.flatten_light`). ``seen``: scenes already made, by the stills they were
    settled from; the same stills are settled once (a step's estimates often share a window:
    steps detected from the clips meet end to end, so the moment right after a step, ``NEAR``,
    is its "after" window; a moving camera's windows are also compared unflattened,
    :func:`one_view`)."""
    key = g.indices(t0, t1) if seen is not None else None
    if key is not None and key in seen:
        return seen[key]
    out = flatten_light(settled_scene(g, t0, t1, seen))
    if key is not None:
        seen[key] = out
    return out


def flat_change(g: StillCache, spans, s: int, end: float, shift: float = 0.0,
                seen: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`gold_change`'s pictures, lighting removed (:func:`flat_scene`)."""
    (b0, b1), (a0, a1) = windows(spans, s, end)
    return flat_scene(g, b0 - shift, b1 - shift, seen), flat_scene(g, a0 + shift, a1 + shift, seen)


def one_view(g: StillCache, spans, s: int, end: float, seen: dict | None = None) -> bool:
    """Do gold step s's "before" and "after" windows show one view of the work area? A camera
    that moves between stations often arrives at the step's station during the step (a step
    there starts as the camera moves, and ends when the hand has left): its "before" shows the
    previous station, and their difference is the move, not the step's result (the demo pump
    line's gold: 112-197 px of 320 between the windows for 68 of its 70 later steps on 14 seeds,
    ``benchmarks/probe_station_change.py``). Such a step has no change to judge. ``seen``: as
    :func:`flat_scene` (the step's windows, settled once for both)."""
    (b0, b1), (a0, a1) = windows(spans, s, end)
    before, after = settled_scene(g, b0, b1, seen), settled_scene(g, a0, a1, seen)
    return same_view(after, before, ONE_VIEW_AGREE, ONE_VIEW_PX)


def second_estimate(g: StillCache, spans, s: int, end: float, d1: np.ndarray,
                    fill: bool = True, seen: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """((H, W, 3), (H, W) bool): gold step s's change estimated again with its windows moved
    apart by ``SHIFT`` s. Where the performer takes a pixel in every still of the moved "after" window (the hand
    crossing a lamp on its way to the next step: NaN there) and ``d1``, the first estimate, saw
    it, and ``fill``: from the moved "before" window and the ``NEAR`` s right after the step
    instead (the after window is not moved the other way, into the next step's work: its
    result, not this step's, would join the region). :func:`gold_changes` fills only where the
    lasting check then judges the pixels after the step (a fixed camera's steps but the last; a
    first step's region, never checked before it, may take in the performer's resting arm, which
    the trainee's first scene tells apart: :func:`.search.before_work`; unfilled, the valve's
    `pick body` lost the body set in its socket, which the hand covers at once fitting the
    seal, and kept only the arm). Without this a small
    result beside the next step's path had no second estimate, so no region (the valve's test
    lamp: none on seeds 0, 1 and 3). The mask: the pixels so filled (their estimate shares the
    first one's window, so the lasting check asks more of them: :data:`.lasting.BACK_NEAR`).
    ``seen``: as :func:`flat_scene` (the first estimate's windows)."""
    f0, f1 = flat_change(g, spans, s, end, shift=SHIFT, seen=seen)
    d2 = f1 - f0
    gap = channels_finite(d1) & ~channels_finite(d2)
    if not (fill and gap.any()):
        return d2, np.zeros(gap.shape, bool)
    b = spans[s][1]
    near = flat_scene(g, b - 0.25, min(end, b + NEAR), seen) - f0
    return np.where(gap[..., None], near, d2), gap


def consistent_region(d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
    """(H, W) bool: where two estimates (H, W, 3) of one change are both large and alike (the
    performer, caught in one window and not the other, is not a change of the scene)."""
    m1, m2 = np.nan_to_num(channels_sum(np.abs(d1))), np.nan_to_num(channels_sum(np.abs(d2)))
    same = np.nan_to_num(channels_sum(d1 * d2)) > 0.5 * m1 * m2 / 3.0
    thr = max(REGION_K * float(np.median(m1)), REGION_FLOOR)
    region = (m1 > thr) & (m2 > 0.5 * thr) & same
    return cv2.morphologyEx(region.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)) > 0


@dataclass
class GoldChange:
    """What gold step ``index`` changes: ``region`` (H, W) bool and ``change`` (H, W, 3): the
    settled scene after it minus the one before it, lighting removed (read only at the steps'
    regions: :mod:`.search` reads a neighbour's change at a step's region). ``lasts``:
    the region was checked to last both ways (:func:`lasting`; a fixed camera's step with
    stills of the gold before and after it), so the performer resting in a window is not in it."""

    index: int
    region: np.ndarray
    change: np.ndarray
    lasts: bool = False
    reliability: float = 1.0
    #: a fixed camera's first step: the settled scene before it (H, W, 3), lighting removed, NaN
    #: off its region. Its region could not be checked to last (the video starts with it), so
    #: it may hold the performer's resting arm; a trainee's scene before any work tells the
    #: two apart (:func:`.search.before_work`)
    before: np.ndarray | None = None


def off_border(region: np.ndarray) -> np.ndarray:
    """``region`` (H, W) bool less its connected parts that reach the picture's border margin
    (``BORDER`` of its height): the performer's arm or body, entering the view and resting in
    a settled window, not a step's result (the end-scene comparison leaves that margin out for
    the same reason, :mod:`.outcome`). Applied after the lasting check (:func:`.lasting.lasting`), which
    removes an arm resting in one step's windows; a gold performer who rests in the same pose
    after every step passes that check (seed 11's valve: 1,436 px of arm kept around a 69 px
    screw, so the trainee's screw turned could never match the step's change)."""
    h, w = region.shape
    m = max(1, int(round(BORDER * h)))
    edge = np.zeros((h, w), bool)
    edge[:m], edge[-m:], edge[:, :m], edge[:, -m:] = True, True, True, True
    _, labels = cv2.connectedComponents(region.astype(np.uint8), connectivity=8)
    touching = np.unique(labels[edge & region])
    return region & ~np.isin(labels, touching[touching > 0])


def gold_changes(g: StillCache, spans: list[tuple[float, float]], end: float,
                 only: list[int] | None = None, fixed: bool = False) -> list[GoldChange | None]:
    """Per gold step, what its result changes, or None when the step leaves nothing visible
    that two estimates agree on (``RELIABLE``); ``only``: just those steps (the others None).
    ``fixed``: the gold's camera does not move, so a result is kept only where it lasts
    (:func:`lasting`), judged on one timeline of the gold read at every step's candidate
    pixels at once (:func:`.pictures.flat_at`)."""
    wanted = sorted(range(len(spans)) if only is None else set(only) & set(range(len(spans))))

    def candidate(s: int) -> tuple:
        seen: dict = {}  # the step's windows, each settled once
        f0, f1 = flat_change(g, spans, s, end, seen=seen)
        d1 = f1 - f0
        if not fixed and not one_view(g, spans, s, end, seen):  # the camera moved during the step
            return f0, f1, d1, d1, np.zeros(d1.shape[:2], bool), np.zeros(d1.shape[:2], bool)
        # gaps filled where the lasting check will judge the pixels after the step (a fixed
        # camera's steps but the last; the first's resting arm: :func:`.search.before_work`)
        d2, filled = second_estimate(g, spans, s, end, d1, fill=fixed and s < len(spans) - 1, seen=seen)
        return f0, f1, d1, d2, filled, consistent_region(d1, d2)

    with ThreadPoolExecutor(scene_workers(), thread_name_prefix="sopilot-scene") as pool:  # steps are independent
        cands = dict(zip(wanted, pool.map(candidate, wanted)))
        line = _timeline(g, cands) if fixed else None
        judged = dict(zip(cands, pool.map(lambda s: _judge(s, spans[s], cands[s], line), cands)))
    return [judged.get(s) for s in range(len(spans))]


def _timeline(g: StillCache, cands: dict) -> tuple | None:
    """(times (K,), flattened stills (K, N, 3) at the N pixels of every step's candidate region,
    (H, W) each pixel's place among the N, -1 elsewhere): the gold's timeline the lasting check
    reads (:func:`.pictures.flat_at`); None when no step has a candidate region."""
    if not any(c[-1].any() for c in cands.values()):
        return None
    union = np.logical_or.reduce([c[-1] for c in cands.values()])
    times = g.stills.times
    idx = np.unique(np.searchsorted(times, np.arange(float(times[0]), float(times[-1]) + 1e-6, PERSIST_STRIDE)))
    idx = idx[idx < len(times)]
    pos = np.full(union.shape, -1, np.int64)
    pos[union] = np.arange(int(union.sum()))
    return times[idx], flat_at(g, idx, union), pos


def _judge(s: int, span: tuple[float, float], cand: tuple, line: tuple | None) -> GoldChange | None:
    """Step s's change from its candidate (:func:`gold_changes`): kept where it lasts on the
    gold's ``line`` (:func:`_timeline`; None: not checked), and only when its two estimates
    agree (``RELIABLE``) over what is left."""
    f0, f1, d1, d2, filled, region = cand
    lasts = False
    if line is not None and region.any():
        ys, xs = np.nonzero(region)
        at = line[2][ys, xs]
        back = np.where(filled[ys, xs], BACK_NEAR, BACK)
        keep, lasts = lasting(f0[ys, xs], f1[ys, xs], span, line[:2], back, at=at)  # read in place
        region[ys, xs] = keep
        region = off_border(region)  # what lasts and reaches into the view from its border
    ys, xs = np.nonzero(region)  # row-major, as a boolean mask reads them
    a, b = d1[ys, xs], d2[ys, xs]
    ok = np.isfinite(a).all(-1) & np.isfinite(b).all(-1)
    rel = correlation(a[ok].ravel(), b[ok].ravel()) if ok.sum() >= MIN_REGION else 0.0
    if rel < RELIABLE:
        return None
    before = np.where(region[..., None], f0, np.nan).astype(np.float32) if s == 0 and line is not None else None
    return GoldChange(s, region, d1, lasts, rel, before)
