"""Repeated steps: a found step's second, separate occurrence in the trainee video."""
from __future__ import annotations

import numpy as np

from .detect_steps import OWNER_MARGIN, SQUEEZED
from .deviation import Deviation, make, span, tc
from .evidence import Span
from .pair_evidence import PairEvidence, StepStatus

#: a repeat must stand out at least this much (relative to the typical step)
REPEAT_MIN_RATIO = 0.85
#: a second full match of a step at least this clear (relative to its best) is a second
#: occurrence even when no dip in similarity separates the two (a repeat done right after)
TWIN_RATIO = 0.8
#: a repeat inside the step's own in-order span needs a span this many times the expected time
REPEAT_SPAN = 1.6


def _apart(a: Span, b: Span, expected: float) -> bool:
    """Are two occurrences' centres at least half an execution apart (``SQUEEZED`` x the step's
    ``expected`` time, clips)? Two executions done back to back are; two matching moments of one
    execution (a dip in similarity halfway through it) are closer."""
    return abs((a.start + a.end) - (b.start + b.end)) / 2 >= SQUEEZED * expected


def _separate(like_s: np.ndarray, a: Span, b: Span, base: float, ref: float) -> bool:
    """True when something else happens between two occurrences of a step (not one long one)."""
    lo, hi = min(a.end, b.end), max(a.start, b.start)
    if hi <= lo:
        return False
    return float(like_s[lo:hi].mean() - base) / ref < 0.5


def repeats(pe: PairEvidence, status: list[StepStatus]) -> list[tuple[Deviation, Span]]:
    """A found step's second order-free occurrence, when it is as long as a real execution
    (at least ``SQUEEZED`` of the step's expected trainee time), stands out, is explained by
    no other step better, lies outside the other steps' spans, and is a separate occurrence
    (a dip in similarity between the two, or nearly as clear as the first and at least half an
    execution away from it: :func:`_apart`). Returns each
    ``repeated_step`` with the trainee span of the repetition."""
    like, ref, tr_tl, profile, expected = pe.like, pe.ref, pe.tr_tl, pe.profile, pe.expected
    located = [s.where for s in status if s.where is not None]
    need = max(REPEAT_MIN_RATIO, profile.match_strictness + 0.25)
    out = []
    for s, e in zip(status, pe.step_ev):
        if not s.found or e.second is None:
            continue
        r2 = e.second_contrast / ref
        clash = any(w.overlap(e.second) > 0.3 * e.second.length for w in located if w is not s.where)
        within = s.in_place and s.where.overlap(e.second) >= 0.5 * e.second.length
        # inside its own in-order span, the span must be long enough for two executions;
        # elsewhere, the occurrence itself must be as long as one
        long_enough = (s.where.length >= REPEAT_SPAN * expected[s.step.index] if within
                       else e.second.length >= SQUEEZED * expected[s.step.index])
        if not long_enough:
            continue
        twin = e.second_contrast >= TWIN_RATIO * e.contrast and _apart(e.best, e.second, expected[s.step.index])
        distinct = _separate(like[s.step.index], e.best, e.second, e.base, ref) or twin
        if r2 < need or e.second_owner <= OWNER_MARGIN or clash or not distinct:
            continue
        st = s.step
        # the repeat is the later of the two occurrences (the first may be the weaker match)
        again = e.second if e.second.start >= e.best.start or not s.in_place else e.best
        tt = span(tr_tl.t0(again.start), tr_tl.t1(again.end))
        msg = f"step {st.index + 1} '{st.name}' repeated (again at trainee {tc(tt['start_sec'])}-{tc(tt['end_sec'])})"
        out.append((make("repeated_step", st, span(st.start_sec, st.end_sec), tt, min(1.0, r2), msg, profile), again))
    return out
