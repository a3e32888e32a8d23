"""Timing deviations: extra actions, long idle, steps much slower or faster than the gold."""
from __future__ import annotations

import numpy as np

from .deviation import Deviation, make, span, tc
from .detect_steps import coverage
from .evidence import Span
from .motion import mid_step
from .pair_evidence import PairEvidence, StepStatus
from .timeline import Timeline, runs


def _gold_side(path: np.ndarray, j0: int, j1: int, status: list[StepStatus]):
    """For trainee clips [j0, j1): the gold clips the DTW path pairs with them, the step the
    stretch comes after (the located step starting last before it, or the one before that
    when the stretch lies in the first half of that step's span; None before the first)
    and that step's gold time."""
    sel = (path[:, 1] >= j0) & (path[:, 1] < j1)
    gi = np.unique(path[sel, 0])
    mid = (j0 + j1) / 2.0
    before = sorted((s for s in status if s.where is not None and s.where.start <= j0), key=lambda s: s.where.start)
    if before and before[-1].where.start + before[-1].where.length / 2.0 > mid:
        before.pop()  # in the first half of a step's span: it comes before that step's work
    step = before[-1].step if before else None
    gt = span(step.start_sec, step.end_sec) if step else None
    return gi, gt, step


#: working time no located step explains, this many times ``extra_min_sec`` long (at the
#: trainee's overall pace), is an extra action even where it resembles something in the
#: gold. Demo set, in seconds at the overall pace: correct performances leave at most 2.2 s
#: of work unexplained between steps, extra actions 4.4-4.9 s
EXTRA_LONG = 1.2
#: ... provided it looks less like the gold than the steps' own work does (share of ref)
EXTRA_LONG_DEFICIT = 0.2


def extras(pe: PairEvidence, status: list[StepStatus], reps: list[tuple[Deviation, Span]]) -> list[Deviation]:
    """Extra actions: working (not idle) trainee time outside the located steps and the
    repetitions ``reps`` (:func:`.detect_repeats.repeats`) that either looks like nothing in
    the gold (its best similarity to any gold clip is 0.6 typical step contrasts below the
    steps' level) for at least ``extra_min_sec``, or lasts ``EXTRA_LONG`` x that (x the
    trainee's overall pace when slower than the gold: its moves between steps take longer
    too) and looks somewhat less like the gold than the steps do."""
    gold_best, idle, ref, tr_tl, profile, pace = pe.gold_best, pe.idle, pe.ref, pe.tr_tl, pe.profile, pe.overall
    covered = coverage(pe, status)
    for w in (sp for _, sp in reps):
        covered[w.start:w.end] = True
    level = float(np.median(gold_best[covered])) if covered.any() else float(np.median(gold_best))
    unexplained = gold_best < level - 0.6 * ref
    found = [r for r in runs(~covered & unexplained & ~idle) if tr_tl.seconds(r[1] - r[0]) >= profile.extra_min_sec]
    for j0, j1 in runs(~covered & ~idle):
        if (tr_tl.seconds(j1 - j0) >= EXTRA_LONG * profile.extra_min_sec * max(1.0, pace)
                and level - float(gold_best[j0:j1].mean()) >= EXTRA_LONG_DEFICIT * ref
                and not any(a < j1 and b > j0 for a, b in found)):
            found.append((j0, j1))
    devs = []
    for j0, j1 in sorted(found):
        sec = tr_tl.seconds(j1 - j0)
        _, gt, step = _gold_side(pe.path, j0, j1, status)
        tt = span(tr_tl.t0(j0), tr_tl.t1(j1))
        after = f" after step {step.index + 1} '{step.name}'" if step else ""
        msg = f"extra action not in the SOP{after} (trainee {tc(tt['start_sec'])}-{tc(tt['end_sec'])}, {sec:.0f} s)"
        conf = min(1.0, 0.8 + 0.2 * (sec - profile.extra_min_sec) / profile.extra_min_sec)
        devs.append(make("extra_action", step, gt, tt, conf, msg, profile))
    return devs


def pauses(pe: PairEvidence, status: list[StepStatus]) -> np.ndarray:
    """(M,) bool: still trainee clips, less those inside a found step with its work on both
    sides (:func:`.motion.mid_step`: the step done slowly, not a pause)."""
    return pe.idle & ~mid_step(pe.idle, status, pe.tr_tl)


def idles(pe: PairEvidence, status: list[StepStatus]) -> list[Deviation]:
    """``long_idle``: a pause (:func:`pauses`) at least ``idle_sec`` long and ``idle_sec``
    longer than the gold's stillness at the same point of the DTW path."""
    idle, gold_idle, gold_tl, tr_tl, profile = pauses(pe, status), pe.gold_idle, pe.gold_tl, pe.tr_tl, pe.profile
    devs = []
    for j0, j1 in runs(idle):
        sec = tr_tl.seconds(j1 - j0)
        if sec < profile.idle_sec:
            continue
        gi, gt, step = _gold_side(pe.path, j0, j1, status)
        excess = sec - gold_tl.seconds(int(gold_idle[gi].sum()))
        if excess < profile.idle_sec:
            continue
        tt = span(tr_tl.t0(j0), tr_tl.t1(j1))
        after = f" after step {step.index + 1} '{step.name}'" if step else ""
        msg = (f"idle for {sec:.0f} s{after} (trainee {tc(tt['start_sec'])}-{tc(tt['end_sec'])}), "
               f"{excess:.0f} s longer than the gold")
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


def _trainee_span(d: Deviation, tl: Timeline) -> Span:
    """The trainee clips of a deviation's ``trainee_time``."""
    c = tl.centres
    j0 = int(np.searchsorted(c, d.trainee_time["start_sec"]))
    j1 = int(np.searchsorted(c, d.trainee_time["end_sec"]))
    return Span(j0, max(j0 + 1, j1), 0.0)


def _tail_end(like: np.ndarray, s: StepStatus, starts: list[int]) -> int:
    """Where step ``s``'s work ends when it goes on past its located span: the last clip before
    the next located step that still looks most like this step (``like``'s best), still or not
    (slow work barely moves); its span's end when none does, and after the last located step
    (the performer's rest after the work looks like its result)."""
    nxt = min((a for a in starts if a >= s.where.end), default=s.where.end)
    own = np.flatnonzero(like[:, s.where.end:nxt].argmax(axis=0) == s.step.index)
    return s.where.end + int(own[-1]) + 1 if own.size else s.where.end


#: a step is measured against the median of the others' paces when at least this many steps
#: were found (fewer: the median of all, the step's own pace included; the median of three
#: others is one other step's value: a 4-step test video whose first two steps read still
#: made its third step slow)
OTHERS_MIN = 5


def others_median(x: np.ndarray) -> np.ndarray:
    """(n,) per-step paces -> (n,): for each step, the median of the *other* steps' paces.

    With few steps a slow one moves the median of all by half a rank towards itself (seed 3's
    bracket: a 3.2x step measured against a pace of 1.28 where the other steps' was 1.02, and
    passed). Under ``OTHERS_MIN`` steps: the median of all for each (1.0 when there are none)."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) < OTHERS_MIN:
        return np.full(len(x), float(np.median(x)) if len(x) else 1.0)
    return np.array([float(np.median(np.delete(x, k))) for k in range(len(x))])


def pace_devs(pe: PairEvidence, status: list[StepStatus], reps: list[tuple[Deviation, Span]],
              extra: list[Deviation]) -> list[Deviation]:
    """Compare each found step's time with the gold step's, relative to the trainee's overall
    pace (the median over the *other* found steps of the same measure / gold duration,
    :func:`others_median`: a trainee slower everywhere is not slow at one step, and a slow step
    does not lengthen its own yardstick; with detected gold steps, the median of all: seeds
    3, 11 and 13 without step files had correct steps made slow by it). A step's span excludes repeats (``reps``), extra
    actions (``extra``) and misplaced steps.
    Slow: its working time (span trimmed of still clips at both ends, less pauses of at least
    ``idle_sec``, which are reported as idle instead; plus its *tail*, the clips up to the next
    located step that still look most like it, :func:`_tail_end`: a slow execution outlasts the
    span the in-order segmentation gave it, and its slow moves read as still) is ``slow_ratio``
    x the gold's at that pace (measured on the spans alone) and 2 s more. Fast: its whole span is at most ``fast_ratio`` x and 2 s less (the
    stillness measure is not trusted to shorten a step)."""
    idle, gold_tl, tr_tl, profile = pe.idle, pe.gold_tl, pe.tr_tl, pe.profile
    elsewhere = [sp for _, sp in reps] + [_trainee_span(d, tr_tl) for d in extra]
    t_pause = _pauses(pauses(pe, status), tr_tl, profile.idle_sec)
    found = [s for s in status if s.found]
    starts = sorted(x.where.start for x in status if x.where is not None)
    work, whole, ends, own = [], [], [], []
    for s in found:
        keep = np.ones(len(idle), bool)  # not a misplaced step's span, a repeat or an extra action
        for o in [x.where for x in status if x is not s and x.where is not None and not x.in_place] + elsewhere:
            keep[o.start:o.end] = False
        counted = keep & ~t_pause
        whole.append(tr_tl.seconds(int(keep[s.where.start:s.where.end].sum())))
        a, b = s.where.start, s.where.end
        while a < b and idle[a]:  # stillness at the ends of a span is not working time
            a += 1
        while b > a and idle[b - 1]:
            b -= 1
        work.append(tr_tl.seconds(int(counted[a:b].sum())))
        # a step that goes on past its span (its tail): its work runs to the tail's last clip,
        # the span's still end included (slow moves read as still)
        tail = np.flatnonzero(keep[s.where.end:_tail_end(pe.like, s, starts)])
        last = s.where.end + int(tail[-1]) + 1 if tail.size else b
        ends.append(max(last, s.where.end))
        own.append(tr_tl.seconds(int(counted[a:last].sum())))
    gold_sec = [max(s.step.duration, gold_tl.hop) for s in found]
    ratios = np.divide(work, gold_sec)
    # each step against the pace of the others; detected gold steps' durations are estimates
    # (a step cut in two reads twice as slow), so there every step's pace counts, its own too
    paces = others_median(ratios) if pe.steps_given else np.full(len(found), float(np.median(ratios)) if found else 1.0)
    pace_all = float(np.median(np.divide(whole, gold_sec))) if found else 1.0
    devs = []
    for s, t, t_all, end, pace in zip(found, own, whole, ends, paces):  # each step with its tail
        st, g = s.step, s.step.duration
        rel = t / max(g, gold_tl.hop) / max(pace, 1e-6)
        rel_all = t_all / max(g, gold_tl.hop) / max(pace_all, 1e-6)
        tt = span(tr_tl.t0(s.where.start), tr_tl.t1(s.where.end))
        gt = span(st.start_sec, st.end_sec)
        if rel >= profile.slow_ratio and t - g * pace >= 2.0:
            tt = span(tr_tl.t0(s.where.start), tr_tl.t1(end))
            msg = (f"step {st.index + 1} '{st.name}' much slower: {t:.0f} s vs {g:.0f} s in the gold, "
                   f"{rel:.1f}x at this trainee's pace ({pace:.1f}x)")
            conf = min(1.0, 0.8 + 0.2 * (rel - profile.slow_ratio) / profile.slow_ratio)
            devs.append(make("slow_step", st, gt, tt, conf, msg, profile))
        elif rel_all <= profile.fast_ratio and g * pace_all - t_all >= 2.0 and s.in_place:
            msg = (f"step {st.index + 1} '{st.name}' much faster: {t_all:.0f} s vs {g:.0f} s in the gold, "
                   f"{rel_all:.1f}x at this trainee's pace ({pace_all:.1f}x)")
            conf = min(1.0, 0.8 + 0.2 * (profile.fast_ratio - rel_all) / profile.fast_ratio)
            devs.append(make("fast_step", st, gt, tt, conf, msg, profile))
    return devs
