"""Two neighbouring steps done in each other's place: the in-order segmentation tried with
the pair swapped.

The in-order segmentation (:mod:`.segment`) can only place one of two swapped steps; the
other looks skipped, and an order-free match is often not clear enough to call it done out
of place (a step done out of order looks different: the parts it works on are in another
state). Segmenting again with each neighbouring pair swapped is a direct test: a real swap
lets both steps be placed on their own work and explains the video better; a correct
performance loses (demo set: every correct performance loses at least 4.5 % of what the
steps explain, swaps gain 0.6-7.5 %, a missing step gains nothing, since its place in the
order does not matter).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .deviation import Deviation, make, span, tc
from .evidence import Span, _explains
from .pair_evidence import PairEvidence, StepStatus
from .segment import SEGMENT_SLACK, segment_steps, step_margin

#: a swapped pair must explain this share more of the video than the gold's order
SWAP_GAIN = 0.005


def best_swap(like: np.ndarray, gold_clips: np.ndarray, pace: float) -> tuple[int, float, list] | None:
    """like (S, M), gold_clips (S,), pace -> (k, gain, spans) for the neighbouring pair (k, k+1)
    whose swap gains most, spans: the trainee [a, b) of steps k and k + 1 in the swapped
    segmentation; None when no swap places both steps or S < 3."""
    s_n = like.shape[0]
    if s_n < 3:
        return None
    margin = step_margin(like)
    free = float(np.clip(margin.max(axis=0), 0.0, None).sum())
    m = margin - SEGMENT_SLACK * max(float(np.median(margin.max(axis=0))), 0.0)

    def total(order: np.ndarray):
        seg = segment_steps(m[order], gold_clips[order], pace)
        return float(sum(m[order][i, r[0]:r[1]].sum() for i, r in enumerate(seg) if r is not None)), seg

    base, _ = total(np.arange(s_n))
    best = None
    for k in range(s_n - 1):
        order = np.arange(s_n)
        order[k], order[k + 1] = k + 1, k
        t, seg = total(order)
        if seg[k] is None or seg[k + 1] is None or free <= 0:
            continue
        gain = (t - base) / free
        if best is None or gain > best[1]:
            best = (k, gain, [seg[k + 1], seg[k]])  # positions k, k+1 hold steps k+1, k
    return best


def swap(pe: PairEvidence, status: list[StepStatus]) -> list[StepStatus]:
    """Where the gold's order is recognised and a neighbouring pair, at least one of them not
    found, is clearly done the other way round (:func:`best_swap`): the statuses with both
    found at their swapped places (in place: :func:`order` then reports the swap); else the
    statuses as they were."""
    out = list(status)
    if not pe.recognised:
        return out
    sw = best_swap(pe.like, pe.gold_clips, pe.overall)
    if sw is None or sw[1] < SWAP_GAIN:
        return out
    k, _, spans = sw
    if status[k].found and status[k + 1].found:
        return out
    for i, (a, b) in zip((k, k + 1), spans):
        level, _ = _explains(pe.like, i, Span(a, b, 0.0))
        st = status[i]
        out[i] = replace(st, found=True, where=Span(a, b, 0.0), in_place=True,
                         ratio=float(max(st.ratio, (level - pe.step_ev[i].base) / pe.ref)))
    return out


def _lis(values: list[float]) -> set[int]:
    """Indices of one longest strictly increasing subsequence (O(n^2), n = number of steps)."""
    n = len(values)
    best, prev = [1] * n, [-1] * n
    for i in range(n):
        for j in range(i):
            if values[j] < values[i] and best[j] + 1 > best[i]:
                best[i], prev[i] = best[j] + 1, j
    i = int(np.argmax(best)) if n else -1
    keep = set()
    while i >= 0:
        keep.add(i)
        i = prev[i]
    return keep


def order(pe: PairEvidence, status: list[StepStatus]) -> list[Deviation]:
    """``order_swap`` for the found steps whose trainee start times break the gold's order: the
    steps outside a longest increasing subsequence, each with the step it jumped over."""
    tr_tl, profile = pe.tr_tl, pe.profile
    found = [s for s in status if s.found]
    starts = [float(tr_tl.centres[s.where.start]) for s in found]
    keep = _lis(starts)
    devs = []
    for n, s in enumerate(found):
        if n in keep:
            continue
        # the in-order step it jumped over: earlier in gold but later in the trainee, or vice versa
        others = [(abs(starts[m] - starts[n]), m) for m in keep
                  if (found[m].step.index < s.step.index) != (starts[m] < starts[n])]
        m = min(others, key=lambda t: t[0])[1] if others else None
        other = found[m] if m is not None else None
        st = s.step
        tt = span(tr_tl.t0(s.where.start), tr_tl.t1(s.where.end))
        # each number beside its own name, the misplaced step (gold_step) first
        what = "done out of order"
        if other:
            what = (f"done {'before' if starts[n] < starts[m] else 'after'} step {other.step.index + 1} "
                    f"'{other.step.name}', against the gold's order")
        msg = f"step {st.index + 1} '{st.name}' {what} (trainee {tc(tt['start_sec'])}-{tc(tt['end_sec'])})"
        conf = min(1.0, s.ratio, other.ratio if other else 1.0)
        devs.append(make("order_swap", st, span(st.start_sec, st.end_sec), tt, conf, msg, profile))
    return devs
