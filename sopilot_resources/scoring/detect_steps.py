"""Step-level deviations: which steps are found, missing, or done wrongly (order: detect_order.py;
repeats: detect_repeats.py).

A step counts as *found* when its best order-free match stands out from the step's
similarity to the rest of the trainee video at least ``match_strictness`` times as much as
a typical step of this same trainee does (so lighting or camera changes that lower every
similarity do not make steps disappear), and no other gold step explains that part of the
trainee better.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .deviation import Deviation, make, span, tc
from .evidence import Span, StepEvidence
from .pair_evidence import MIN_CONTRAST, PairEvidence, StepStatus  # noqa: F401 (MIN_CONTRAST: the floor of ref)

OWNER_MARGIN = 0.02
#: how much more clearly than a found-in-place step an out-of-place occurrence must stand out
OUT_OF_PLACE_EXTRA = 0.3
#: ... over at least this many clips: one clip is a moment, not a step done (seed 49's correct
#: terminals trainee; a swap of two detected steps was found out of place over two clips)
OUT_OF_PLACE_CLIPS = 2
#: a step placed in less than this fraction of its expected trainee time (gold duration x
#: overall pace; correct performances vary 0.6-1.6x per step) is "squeezed": it counts as
#: found only with a contrast of SQUEEZED_NEED typical steps
SQUEEZED, SQUEEZED_NEED = 0.5, 1.0
#: ... but a step placed in at least this fraction of the gold step's own duration (at the
#: overall pace only when faster than the gold: a slow overall pace is mostly pauses) is a
#: fast execution, not a hiding place, when its clearest occurrence anywhere in the video
#: lies in that span (correct steps vary 0.6-1.6x each, so one can take 0.4 of the overall pace)
SHORT = 0.45
#: where the gold's step order is not recognised at all, a step placed in order counts as
#: found only if it stands out this many times as clearly as the typical step of the video
UNRECOGNISED_NEED = 1.5
UNRECOGNISED_CONF = 0.6


def classify(pe: PairEvidence) -> list[StepStatus]:
    """Each step found in place (where the in-order segmentation puts it), found out of place
    (an order-free match away from there), or not found.

    1. placed by the segmentation and no other step explains its span better: in place
       (only when it stands out as clearly as a typical step if it is squeezed into less
       than ``SQUEEZED`` of its expected time, where a skipped step tends to hide; and
       ``UNRECOGNISED_NEED`` times as clearly if the gold's step order is not recognised in
       the video at all, see :func:`.segment.procedure_evidence`); a squeezed step at least
       ``SHORT`` x ``pe.shortest`` long (gold clips x min(1, overall pace)) also counts when
       its clearest order-free occurrence lies in its span;
    2. skipped, but its order-free match lies elsewhere and stands out clearly: out of place;
    3. otherwise not found (missing or done wrongly, decided by :func:`missing_or_wrong`).
    """
    ref, recognised, expected, shortest = pe.ref, pe.recognised, pe.expected, pe.shortest
    need = pe.profile.match_strictness
    out = []
    for e, st, crit in zip(pe.step_ev, pe.steps, pe.critical):
        r_map, r_best = e.mapped_contrast / ref, e.contrast / ref
        best_ok = r_best >= need and e.owner > -OWNER_MARGIN
        squeezed = e.mapped.length < SQUEEZED * expected[e.index]
        clear = r_map >= (SQUEEZED_NEED if recognised else UNRECOGNISED_NEED)
        inside = best_ok and e.best.overlap(e.mapped) >= 0.5 * e.best.length
        fast = inside and e.mapped.length >= SHORT * shortest[e.index]
        if e.placed and e.mapped_owner > -OWNER_MARGIN and (clear or ((not squeezed or fast) and recognised)):
            out.append(StepStatus(st, crit, True, float(max(r_map, r_best) if inside else r_map), e.mapped, True))
        elif (best_ok and e.best.overlap(e.mapped) == 0 and r_best >= need + OUT_OF_PLACE_EXTRA
              and r_best >= r_map + OUT_OF_PLACE_EXTRA and e.owner > OWNER_MARGIN
              and e.best.length >= OUT_OF_PLACE_CLIPS):
            # out of place only on clear evidence: a clip sequence that looks somewhat like
            # the step elsewhere is common; a clearly better one is a real reordering, over a
            # sequence of clips (one clip, seed 49's correct terminals trainee's `tighten T3` in
            # the video's last 0.5 s, made the order of a correct performance wrong twice)
            out.append(StepStatus(st, crit, True, float(r_best), e.best, False))
        else:
            # a squeezed stretch (a camera passing the station, a gesture) is evidence for
            # only the share of the step's time it covers
            cover = min(1.0, e.mapped.length / (SQUEEZED * expected[e.index])) if squeezed else 1.0
            out.append(StepStatus(st, crit, False, float(max(r_map, r_best) * cover), None, True))
    return out


def coverage(pe: PairEvidence, status: list[StepStatus]) -> np.ndarray:
    """(M,) bool: trainee clips a located step plausibly explains (its likelihood there is at
    least 30 % of a typical step's contrast above the step's base). Used for extra actions."""
    like, ref = pe.like, pe.ref
    cov = np.zeros(like.shape[1], bool)
    for s, e in zip(status, pe.step_ev):
        if s.where is None:
            continue
        w = s.where
        if not s.found:  # done wrongly: that stretch is accounted for by the wrong_step
            cov[w.start:w.end] = True
        else:
            cov[w.start:w.end] |= (like[s.step.index, w.start:w.end] - e.base) / ref >= 0.3
    return cov


def trainee_pace(pe: PairEvidence, status: list[StepStatus]) -> float:
    """The trainee's pace: median over found steps of their trainee time / gold time (1 if none)."""
    tr_tl, gold_tl = pe.tr_tl, pe.gold_tl
    paces = [s.where.length * tr_tl.hop / max(s.step.duration, gold_tl.hop) for s in status if s.found]
    return float(np.median(paces)) if paces else 1.0


def missing_or_wrong(pe: PairEvidence, status: list[StepStatus],
                     pace: float) -> tuple[list[StepStatus], list[Deviation]]:
    """A step not found: ``wrong_step`` where the trainee spends at least half its expected time
    (gold duration x ``pace``, :func:`trainee_pace`) working (not idle, not in another step)
    between its neighbours, else ``missing_step``. Returns the statuses with each wrong step's
    stretch as its ``where`` (still not found), and the deviations in gold order.
    A stretch of work is one step done differently, never several: where unfound steps share
    one (a skipped step next to a barely recognised one), they claim it in order of how well
    they match it (the step likelihood minus each step's base; ties in gold order), and a step
    left without enough free time is missing. Skipping a step is far more common than doing
    two neighbours both differently.
    Confidence: 1 - 0.4 x (how clearly it still matched / match_strictness); at least
    ``UNRECOGNISED_CONF`` when the gold's step order is not recognised at all (then how a step
    compares with the video's other steps says little)."""
    tr_tl, profile = pe.tr_tl, pe.profile
    out = list(status)
    taken = np.zeros(len(tr_tl.centres), bool)
    for s in status:
        if s.found:
            taken[s.where.start:s.where.end] = True
    unfound = [(k, s, e) for k, (s, e) in enumerate(zip(status, pe.step_ev)) if not s.found]
    unfound.sort(key=lambda kse: -_span_level(pe.like, kse[2]))
    devs = []
    for k, s, e in unfound:
        st = s.step
        free = np.zeros_like(taken)
        free[e.mapped.start:e.mapped.end] = True
        free &= ~taken & ~pe.idle
        expected = st.duration * pace
        conf = 1.0 - 0.4 * max(0.0, s.ratio) / profile.match_strictness
        if not pe.recognised:
            conf = max(conf, UNRECOGNISED_CONF)
        gt = span(st.start_sec, st.end_sec)
        if tr_tl.seconds(int(free.sum())) >= 0.5 * expected:
            j = np.flatnonzero(free)
            where = Span(int(j[0]), int(j[-1]) + 1, e.mapped.sim)
            out[k] = replace(s, where=where, found=False)
            taken[where.start:where.end] = True
            tt = span(tr_tl.t0(where.start), tr_tl.t1(where.end))
            msg = (f"step {st.index + 1} '{st.name}' done differently from the gold "
                   f"(trainee {tc(tt['start_sec'])}-{tc(tt['end_sec'])}, gold {tc(st.start_sec)}-{tc(st.end_sec)})")
            devs.append(make("wrong_step", st, gt, tt, conf, msg, profile, s.critical))
        else:
            msg = f"step {st.index + 1} '{st.name}' missing (gold {tc(st.start_sec)}-{tc(st.end_sec)})"
            devs.append(make("missing_step", st, gt, None, conf, msg, profile, s.critical))
    devs.sort(key=lambda d: d.gold_step)
    return out, devs


def _span_level(like: np.ndarray, e: StepEvidence) -> float:
    """How much more the step's likelihood is over its in-order stretch than its base."""
    m = e.mapped
    return float(like[e.index, m.start:m.end].mean() - e.base) if m.length > 0 else -np.inf
