"""Find the cycles of the task in a recording: the gold's one-cycle template aligned again and
again along the recording (:func:`.cyclic_dp.cyclic_path`), window by window.

Clip costs are cosine costs of the engine's prepared vectors (``scoring.evidence.prepare``).
Being *outside* a cycle costs, per recording clip, its best cost to any template clip plus
``margin``: a clip is inside a cycle only where the template's order explains it within
``margin`` of the best any single gold clip does, so idle time, changeovers and unrelated work
fall outside, while a recording of the task is cycles end to end.

Memory is bounded by the window, not the recording: ``window`` clips of cost and
back-pointers at a time; a window's last ``overlap`` clips are aligned again with the next.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cyclic_dp import cyclic_path, cycle_runs


@dataclass(frozen=True)
class CycleParams:
    """margin: how much worse than the best single gold clip a clip may match and still count
    as in the cycle (cosine cost); max_step: template clips per recording clip (pace up to
    that x gold); skip_pen / enter_pen / leave_pen: cost of leaving out a stretch, entering
    the template past its start, leaving it before its end; min_coverage: shortest share of
    the template a cycle inside the recording must span; full: share at or above which a
    cycle cut by the recording's start or end is complete; window: clips aligned at once."""

    margin: float = 0.06
    max_step: int = 3
    skip_pen: float = 2.0
    enter_pen: float = 3.0
    leave_pen: float = 6.0
    min_coverage: float = 0.5
    min_partial: float = 0.25
    full: float = 0.85
    window: int = 4096


@dataclass(frozen=True)
class Cycle:
    """One occurrence of the task. start / end: recording clips [start, end) the path spends in
    the template (end exclusive); first / last: its first and last template clip; t0 / t1: the
    cycle's start and end in recording seconds (where it leaves the template's first clip and
    reaches its last); coverage: share of the template spanned; partial: cut by the recording's
    start or end; gain: mean per clip of how much better the template's order explains it than
    being outside."""

    start: int
    end: int
    first: int
    last: int
    t0: float
    t1: float
    coverage: float
    partial: bool
    gain: float

    @property
    def seconds(self) -> float:
        return self.t1 - self.t0


def _cycle(states, cost, out, a, b, off, centres, n, m, p: CycleParams) -> Cycle | None:
    s = states[a:b]
    first, last = int(s[0]), int(s[-1])
    cov = (last - first + 1) / n
    t_start, t_end = a + int(np.flatnonzero(s == first)[-1]), a + int(np.flatnonzero(s == last)[0])
    at_edge = (off + a == 0 and first > 0) or (off + b == m and last < n - 1)
    partial = at_edge and cov < p.full
    if cov < (p.min_partial if at_edge else p.min_coverage):
        return None
    gain = float(np.mean(out[a:b] - cost[s, np.arange(a, b)]))
    return Cycle(off + a, off + b, first, last, float(centres[off + t_start]), float(centres[off + t_end]),
                 round(cov, 3), bool(partial), round(gain, 4))


def find_cycles(template: np.ndarray, recording, centres: np.ndarray,
                params: CycleParams = CycleParams()) -> list[Cycle]:
    """template: (n, D) prepared unit rows; recording: (M, D) prepared unit rows, or an object
    with ``len()`` and ``rows(a, b)`` giving them a window at a time
    (:class:`.stream_prepare.StreamPrepared`); centres: (M,) clip centre seconds -> the cycles
    in recording order (split ones joined again, :func:`join_split`). Windows of ``params.window`` clips (at least 6 n); the
    next window starts where the last accepted cycle ended (or ``3 n`` clips before the
    window's end), so a cycle is never cut by a window."""
    n, m = len(template), len(recording)
    win = max(int(params.window), 6 * n)
    overlap = min(3 * n, win // 2)
    out_cycles: list[Cycle] = []
    good: list[np.ndarray] = []
    a = 0
    while a < m:
        b = min(m, a + win)
        rows = recording.rows(a, b) if hasattr(recording, "rows") else recording[a:b]
        cost = np.clip(1.0 - template @ rows.T, 0.0, 2.0).astype(np.float32)
        out = cost.min(axis=0) + np.float32(params.margin)
        states = cyclic_path(cost, out, params.max_step, params.skip_pen, params.enter_pen, params.leave_pen,
                             True, True)
        last_end = None
        for r0, r1 in cycle_runs(states):
            if b < m and r1 > b - a - overlap:
                break  # too close to the window's end: aligned again with the next window
            c = _cycle(states, cost, out, r0, r1, a, centres, n, m, params)
            if c is not None:
                out_cycles.append(c)
                good.append(good_states(states[r0:r1], n, params.max_step))
            last_end = a + r1
        if b == m:
            break
        a = last_end if last_end is not None and last_end > a else b - overlap
    return join_split(out_cycles, good)


def good_states(states: np.ndarray, n: int, max_step: int) -> np.ndarray:
    """(n,) bool: template clips the path (one cycle's states) walks through at a pace it can
    keep, advancing at most ``max_step - 1`` a clip; the clips it hurries over (``max_step``
    or a skip: where it only passes to reach a better-matching clip) are left out."""
    s = np.asarray(states, np.int64)
    good = np.zeros(n, bool)
    good[s[0]] = True
    for a, b in zip(s[:-1], s[1:]):
        if 0 <= b - a < max_step:
            good[a:b + 1] = True
    return good


def join_split(cycles: list[Cycle], good: list[np.ndarray], most: float = 0.7, overlap: float = 0.2) -> list[Cycle]:
    """Join neighbours that are one cycle cut in two by a long pause (the pause looks like the
    rest before a cycle, so the path hurries to the template's end and starts again): each
    explains less than ``most`` of the template, together at least that, sharing at most
    ``overlap`` of it. good: per cycle, :func:`good_states`."""
    out: list[Cycle] = []
    masks: list[np.ndarray] = []
    for c, g in zip(cycles, good):
        if out and not out[-1].partial and not c.partial:
            pg = masks[-1]
            if pg.mean() < most and g.mean() < most and (pg | g).mean() >= most and (pg & g).mean() <= overlap:
                prev = out[-1]
                gain = (prev.gain * (prev.end - prev.start) + c.gain * (c.end - c.start)) / max(1, c.end - prev.start)
                out[-1] = Cycle(prev.start, c.end, prev.first, c.last, prev.t0, c.t1,
                                round(max(prev.coverage, c.coverage), 3), False, round(gain, 4))
                masks[-1] = pg | g
                continue
        out.append(c)
        masks.append(g)
    return out


def template_range(centres: np.ndarray, t0: float, t1: float) -> tuple[int, int]:
    """[i0, i1) of the clips whose centre lies in [t0, t1] (at least two clips)."""
    idx = np.flatnonzero((centres >= t0 - 1e-6) & (centres <= t1 + 1e-6))
    if idx.size < 2:
        mid = int(np.argmin(np.abs(centres - (t0 + t1) / 2)))
        return max(0, mid - 1), min(len(centres), mid + 1)
    return int(idx[0]), int(idx[-1]) + 1
