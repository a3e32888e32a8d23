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

import numpy as np

from .detect_steps import StepStatus
from .evidence import Span, StepEvidence, _explains
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


def apply_swap(status: list[StepStatus], ev: list[StepEvidence], like: np.ndarray, ref: float,
               gold_clips: np.ndarray, pace: float) -> None:
    """Where a neighbouring pair, at least one of them not found, is clearly done the other
    way round (:func:`best_swap`), mark both found at their swapped places (in place: the
    order check then reports the swap)."""
    sw = best_swap(like, gold_clips, pace)
    if sw is None or sw[1] < SWAP_GAIN:
        return
    k, _, spans = sw
    if status[k].found and status[k + 1].found:
        return
    for i, (a, b) in zip((k, k + 1), spans):
        level, _ = _explains(like, i, Span(a, b, 0.0))
        st = status[i]
        st.found, st.where, st.in_place = True, Span(a, b, 0.0), True
        st.ratio = float(max(st.ratio, (level - ev[i].base) / ref))
