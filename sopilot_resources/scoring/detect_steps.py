"""Step-level deviations: which steps are found, missing, or done wrongly (order: detect_order.py;
repeats: detect_repeats.py).

A step counts as *found* when its best order-free match stands out from the step's
similarity to the rest of the trainee video at least ``match_strictness`` times as much as
a typical step of this same trainee does (so lighting or camera changes that lower every
similarity do not make steps disappear), and no other gold step explains that part of the
trainee better.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .deviation import Deviation, make, span, tc
from .evidence import Span, StepEvidence
from .profile import Profile
from .steps import Step
from .timeline import Timeline

#: a trainee whose typical step contrast is below this is compared against this instead:
#: a video unrelated to the gold has no steps that stand out, and must not pass
MIN_CONTRAST = 0.12
OWNER_MARGIN = 0.02
#: how much more clearly than a found-in-place step an out-of-place occurrence must stand out
OUT_OF_PLACE_EXTRA = 0.3
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


@dataclass
class StepStatus:
    step: Step
    critical: bool
    found: bool
    ratio: float  # contrast relative to the typical step
    where: Span | None  # trainee location if found (or done wrongly)
    in_place: bool = True


def classify(ev: list[StepEvidence], steps: list[Step], critical: list[bool], profile: Profile,
             expected: np.ndarray | None = None, recognised: bool = True,
             shortest: np.ndarray | None = None) -> tuple[list[StepStatus], float]:
    """Found in place (where the in-order segmentation puts it), found out of place (an
    order-free match away from there), or not found.

    1. placed by the segmentation and no other step explains its span better: in place
       (only when it stands out as clearly as a typical step if it is squeezed into less
       than ``SQUEEZED`` of its expected time, where a skipped step tends to hide; and
       ``UNRECOGNISED_NEED`` times as clearly if the gold's step order is not recognised in
       the video at all, see :func:`.segment.procedure_evidence`); a squeezed step at least
       ``SHORT`` x ``shortest`` (S,) long (gold clips x min(1, overall pace)) also counts when
       its clearest order-free occurrence lies in its span;
    2. skipped, but its order-free match lies elsewhere and stands out clearly: out of place;
    3. otherwise not found (missing or done wrongly, decided by :func:`missing_or_wrong`).
    """
    typical = float(np.median([max(e.mapped_contrast, e.contrast) for e in ev]))
    ref = max(typical, MIN_CONTRAST)
    need = profile.match_strictness
    out = []
    for e, st, crit in zip(ev, steps, critical):
        r_map, r_best = e.mapped_contrast / ref, e.contrast / ref
        best_ok = r_best >= need and e.owner > -OWNER_MARGIN
        squeezed = expected is not None and e.mapped.length < SQUEEZED * expected[e.index]
        clear = r_map >= (SQUEEZED_NEED if recognised else UNRECOGNISED_NEED)
        inside = best_ok and e.best.overlap(e.mapped) >= 0.5 * e.best.length
        fast = inside and shortest is not None and e.mapped.length >= SHORT * shortest[e.index]
        if e.placed and e.mapped_owner > -OWNER_MARGIN and (clear or ((not squeezed or fast) and recognised)):
            out.append(StepStatus(st, crit, True, float(max(r_map, r_best) if inside else r_map), e.mapped, True))
        elif (best_ok and e.best.overlap(e.mapped) == 0 and r_best >= need + OUT_OF_PLACE_EXTRA
              and r_best >= r_map + OUT_OF_PLACE_EXTRA and e.owner > OWNER_MARGIN):
            # out of place only on clear evidence: a clip sequence that looks somewhat like
            # the step elsewhere is common; a clearly better one is a real reordering
            out.append(StepStatus(st, crit, True, float(r_best), e.best, False))
        else:
            # a squeezed stretch (a camera passing the station, a gesture) is evidence for
            # only the share of the step's time it covers
            cover = min(1.0, e.mapped.length / (SQUEEZED * expected[e.index])) if squeezed else 1.0
            out.append(StepStatus(st, crit, False, float(max(r_map, r_best) * cover), None, True))
    return out, ref


def coverage(status: list[StepStatus], ev: list[StepEvidence], like: np.ndarray, ref: float) -> np.ndarray:
    """(M,) bool: trainee clips a located step plausibly explains (its likelihood there is at
    least 30 % of a typical step's contrast above the step's base). Used for extra actions."""
    cov = np.zeros(like.shape[1], bool)
    for s, e in zip(status, ev):
        if s.where is None:
            continue
        w = s.where
        if not s.found:  # done wrongly: that stretch is accounted for by the wrong_step
            cov[w.start:w.end] = True
        else:
            cov[w.start:w.end] |= (like[s.step.index, w.start:w.end] - e.base) / ref >= 0.3
    return cov


def missing_or_wrong(status: list[StepStatus], ev: list[StepEvidence], gold_tl: Timeline, tr_tl: Timeline,
                     idle: np.ndarray, pace: float, profile: Profile, recognised: bool = True,
                     like: np.ndarray | None = None) -> list[Deviation]:
    """A step not found: ``wrong_step`` where the trainee spends at least half its expected time
    working (not idle, not in another step) between its neighbours, else ``missing_step``.
    A stretch of work is one step done differently, never several: where unfound steps share
    one (a skipped step next to a barely recognised one), they claim it in order of how well
    they match it (``like`` (S, M), the step likelihood, minus each step's base; without it,
    in gold order), and a step left without enough free time is missing. Skipping a step is
    far more common than doing two neighbours both differently.
    Confidence: 1 - 0.4 x (how clearly it still matched / match_strictness); at least
    ``UNRECOGNISED_CONF`` when the gold's step order is not recognised at all (then how a step
    compares with the video's other steps says little)."""
    taken = np.zeros(len(tr_tl.centres), bool)
    for s in status:
        if s.found:
            taken[s.where.start:s.where.end] = True
    unfound = [(s, e) for s, e in zip(status, ev) if not s.found]
    if like is not None:
        unfound.sort(key=lambda se: -_span_level(like, se[1]))
    devs = []
    for s, e in unfound:
        st = s.step
        free = np.zeros_like(taken)
        free[e.mapped.start:e.mapped.end] = True
        free &= ~taken & ~idle
        expected = st.duration * pace
        conf = 1.0 - 0.4 * max(0.0, s.ratio) / profile.match_strictness
        if not recognised:
            conf = max(conf, UNRECOGNISED_CONF)
        gt = span(st.start_sec, st.end_sec)
        if tr_tl.seconds(int(free.sum())) >= 0.5 * expected:
            j = np.flatnonzero(free)
            s.where, s.found = Span(int(j[0]), int(j[-1]) + 1, e.mapped.sim), False
            taken[s.where.start:s.where.end] = True
            tt = span(tr_tl.t0(s.where.start), tr_tl.t1(s.where.end))
            msg = (f"step {st.index + 1} '{st.name}' done differently from the gold "
                   f"(trainee {tc(tt['start_sec'])}-{tc(tt['end_sec'])}, gold {tc(st.start_sec)}-{tc(st.end_sec)})")
            devs.append(make("wrong_step", st, gt, tt, conf, msg, profile, s.critical))
        else:
            msg = f"step {st.index + 1} '{st.name}' missing (gold {tc(st.start_sec)}-{tc(st.end_sec)})"
            devs.append(make("missing_step", st, gt, None, conf, msg, profile, s.critical))
    devs.sort(key=lambda d: d.gold_step)
    return devs


def _span_level(like: np.ndarray, e: StepEvidence) -> float:
    """How much more the step's likelihood is over its in-order stretch than its base."""
    m = e.mapped
    return float(like[e.index, m.start:m.end].mean() - e.base) if m.length > 0 else -np.inf
