"""A step the pictures found done (the both-ways search of :mod:`.detect_scene`) also explains
time the clips gave to a neighbour: a ``slow_step`` whose span holds it is the two steps."""
from __future__ import annotations

import numpy as np

from .deviation import Deviation
from .detect_scene_order import ORDER_SLACK


def slow_for_done(d: Deviation, done: dict[int, float], expected: np.ndarray, slow_ratio: float) -> bool:
    """Is ``d`` a clips-only ``slow_step`` that is slow only because it holds steps the clips
    missed and the pictures found done in its span (``done``: step -> trainee seconds by which
    its change was made; ORDER_SLACK s of slack after the span, a change is seen once the hand
    has left)? ``expected``: (S,) each step's expected trainee seconds. It is, when the span
    less those steps' expected time is no longer ``slow_ratio`` x the step's own."""
    if d.type != "slow_step" or d.evidence is not None or d.trainee_time is None:
        return False
    a, b = d.trainee_time["start_sec"], d.trainee_time["end_sec"]
    inside = [s for s, t in done.items() if s != d.gold_step and a <= t <= b + ORDER_SLACK]
    if not inside:
        return False
    rest = (b - a) - float(sum(expected[s] for s in inside))
    return rest < slow_ratio * float(expected[d.gold_step])
