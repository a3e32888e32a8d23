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
    ``repeated_step`` with the trainee span of the repetition.

    It must stand out ``REPEAT_MIN_RATIO`` typical steps, except a *twin* inside the step's own
    in-order span when that span, between two other located steps (a first or last step's
    span holds the rest before or after the work too: seed 19's pump line, a correct last step
    and the arm's rest read as two), holds two executions' time (``REPEAT_SPAN``): two matches
    about as clear as each other (``TWIN_RATIO``), half an execution apart, are the step done
    twice however weakly the step stands out in this pair; the second then needs only what
    finds a step (``match_strictness``), and its confidence is how clear it is beside the first
    (a step the clips see weakly in another performer's hands was done twice, and read slow or
    not at all: seed 35's terminals, `tighten T3` twice, 0.59 and 0.61 typical steps). Only with
    a steps file: a detected gold step's time is an estimate (a step cut in two reads twice as
    long), so its span's length says nothing of two executions (seed 43's bracket, a correct
    trainee's detected step 10 of 11 read as twins)."""
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
        # two executions' time between two other steps' work (a first or last step's span also
        # holds the rest before or after the work), two matches as clear as each other
        inner = (any(w.start < s.where.start for w in located if w is not s.where)
                 and any(w.end > s.where.end for w in located if w is not s.where))
        twice = within and twin and inner and pe.steps_given  # a detected step's time is an estimate
        if r2 < (profile.match_strictness if twice else need) or e.second_owner <= OWNER_MARGIN or clash or not distinct:
            continue
        st = s.step
        # the repeat is the later of the two occurrences (the first may be the weaker match)
        again = e.second if e.second.start >= e.best.start or not s.in_place else e.best
        tt = span(tr_tl.t0(again.start), tr_tl.t1(again.end))
        msg = f"step {st.index + 1} '{st.name}' repeated (again at trainee {tc(tt['start_sec'])}-{tc(tt['end_sec'])})"
        conf = min(1.0, max(r2, e.second_contrast / max(e.contrast, 1e-6)) if twice else r2)
        out.append((make("repeated_step", st, span(st.start_sec, st.end_sec), tt, conf, msg, profile), again))
    return out
