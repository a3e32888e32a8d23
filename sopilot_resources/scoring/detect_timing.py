"""Timing deviations: extra actions, long idle, steps much slower or faster than the gold."""
from __future__ import annotations

import numpy as np

from .deviation import Deviation, make, span, tc
from .detect_steps import StepStatus
from .evidence import Span
from .profile import Profile
from .steps import Step
from .timeline import Timeline, runs


def _gold_side(path: np.ndarray, j0: int, j1: int, steps: list[Step], ranges, gold_tl: Timeline):
    """Gold clips the DTW path pairs with trainee clips [j0, j1), and the gold step there."""
    sel = (path[:, 1] >= j0) & (path[:, 1] < j1)
    gi = np.unique(path[sel, 0])
    mid = int(np.median(gi))
    step = None
    for st, (i0, i1) in zip(steps, ranges):
        if i0 <= mid:
            step = st  # the step there, or the last one before it
    return gi, span(gold_tl.t0(int(gi[0])), gold_tl.t1(int(gi[-1]) + 1)), step


def extras(covered: np.ndarray, extra_spans: list[Span], gold_best: np.ndarray, idle: np.ndarray,
           ref: float, path, steps, ranges, gold_tl: Timeline, tr_tl: Timeline, profile: Profile) -> list[Deviation]:
    covered = covered.copy()
    for w in extra_spans:
        covered[w.start:w.end] = True
    level = float(np.median(gold_best[covered])) if covered.any() else float(np.median(gold_best))
    unexplained = gold_best < level - 0.6 * ref
    devs = []
    for j0, j1 in runs(~covered & unexplained & ~idle):
        sec = tr_tl.seconds(j1 - j0)
        if sec < profile.extra_min_sec:
            continue
        _, gt, step = _gold_side(path, j0, j1, steps, ranges, gold_tl)
        tt = span(tr_tl.t0(j0), tr_tl.t1(j1))
        after = f" after step {step.index + 1} '{step.name}'" if step else ""
        msg = f"extra action not in the SOP{after} (trainee {tc(tt['start_sec'])}-{tc(tt['end_sec'])}, {sec:.0f} s)"
        conf = min(1.0, 0.8 + 0.2 * (sec - profile.extra_min_sec) / profile.extra_min_sec)
        devs.append(make("extra_action", step, gt, tt, conf, msg, profile))
    return devs


def idles(idle: np.ndarray, gold_idle: np.ndarray, path, steps, ranges, gold_tl: Timeline, tr_tl: Timeline,
          profile: Profile) -> list[Deviation]:
    devs = []
    for j0, j1 in runs(idle):
        sec = tr_tl.seconds(j1 - j0)
        if sec < profile.idle_sec:
            continue
        gi, gt, step = _gold_side(path, j0, j1, steps, ranges, gold_tl)
        excess = sec - gold_tl.seconds(int(gold_idle[gi].sum()))
        if excess < profile.idle_sec:
            continue
        tt = span(tr_tl.t0(j0), tr_tl.t1(j1))
        msg = f"idle for {sec:.0f} s (trainee {tc(tt['start_sec'])}-{tc(tt['end_sec'])}), {excess:.0f} s longer than the gold"
        conf = min(1.0, 0.8 + 0.2 * (excess - profile.idle_sec) / profile.idle_sec)
        devs.append(make("long_idle", step, gt, tt, conf, msg, profile))
    return devs


def _pauses(idle: np.ndarray, tl: Timeline, min_sec: float = 2.0) -> np.ndarray:
    """(N,) bool: idle clips in runs of at least ``min_sec`` (short stillness is part of a step)."""
    out = np.zeros(len(idle), bool)
    for a, b in runs(idle):
        if tl.seconds(b - a) >= min_sec:
            out[a:b] = True
    return out


def pace_devs(status: list[StepStatus], elsewhere: list[Span], ranges, idle: np.ndarray,
              gold_idle: np.ndarray, gold_tl: Timeline, tr_tl: Timeline, profile: Profile) -> list[Deviation]:
    """Compare each found step's working time with the gold's: its trainee span less pauses,
    repeats, extra actions and other steps, against the gold step less its pauses."""
    devs = []
    t_pause, g_pause = _pauses(idle, tr_tl), _pauses(gold_idle, gold_tl)
    for s, (i0, i1) in zip(status, ranges):
        if not s.found:
            continue
        mine = np.zeros(len(idle), bool)
        mine[s.where.start:s.where.end] = True
        for o in [x.where for x in status if x is not s and x.where is not None and not x.in_place] + elsewhere:
            mine[o.start:o.end] = False
        g = max(s.step.duration - gold_tl.seconds(int(g_pause[i0:i1].sum())), gold_tl.hop)
        t = tr_tl.seconds(int((mine & ~t_pause).sum()))
        ratio = t / g
        st = s.step
        tt = span(tr_tl.t0(s.where.start), tr_tl.t1(s.where.end))
        gt = span(st.start_sec, st.end_sec)
        if ratio >= profile.slow_ratio and t - g >= 2.0:
            msg = f"step {st.index + 1} '{st.name}' took {ratio:.1f}x the gold's time ({t:.0f} s vs {g:.0f} s)"
            conf = min(1.0, 0.8 + 0.2 * (ratio - profile.slow_ratio) / profile.slow_ratio)
            devs.append(make("slow_step", st, gt, tt, conf, msg, profile))
        elif ratio <= profile.fast_ratio and g - t >= 2.0 and s.in_place:
            msg = f"step {st.index + 1} '{st.name}' took only {ratio:.1f}x the gold's time ({t:.0f} s vs {g:.0f} s)"
            conf = min(1.0, 0.8 + 0.2 * (profile.fast_ratio - ratio) / profile.fast_ratio)
            devs.append(make("fast_step", st, gt, tt, conf, msg, profile))
    return devs
