"""Steps the pictures find done (the both-ways search of :mod:`.detect_scene`:
:func:`made_steps`), and the time they explain: a clips' ``slow_step`` whose span holds such a
step is the two steps (:func:`slow_for_done`)."""
from __future__ import annotations

import numpy as np

from .deviation import Deviation
from .detect_scene_order import ORDER_SLACK

#: both ways: the trainee made a step's change when, at some level of pictures searched, it
#: correlates this well with the gold's (the stills as kept, "detail", show a small part's
#: change with its noise, so a step done reaches less there: docs/bench/accuracy.md, "Detail
#: round"), at a size within DONE_MAG of it
DONE_AGREE, DONE_MAG = {"pictures": 0.75, "detail": 0.65}, (0.5, 2.0)


def made_steps(scene, spans: dict[int, tuple[float, float]], known: dict[int, float] | None = None) -> dict[int, float]:
    """Per gold step of ``spans`` whose change the trainee made (at some level of pictures,
    ``DONE_AGREE`` / ``DONE_MAG``): the trainee seconds by which it was made. The comparison's
    own pictures are searched first, and the stills as kept ("detail", four times the pixels)
    only for the steps they leave undecided (a step is done when either level finds its
    change). ``known``: steps already found made (this function's earlier answer): only the
    finer levels are searched for ``spans``, for an earlier moment, and the answer is
    ``known`` with those moments lowered (the caller asks for the steps whose moment at the
    comparison's pictures puts them out of order: docs/scene.md, "Cost")."""
    done: dict[int, float] = dict(known or {})
    names = [lv.name for lv in scene.levels]  # finest first
    coarse, finer = names[-1:], names[:-1]
    if known is not None:
        passes = [finer] if finer else []
    else:
        passes = [coarse, finer] if finer else [None]  # one level (or none named): ask as it is
    for levels in passes:
        ask = {s: sp for s, sp in spans.items() if known is not None or s not in done}
        for s, found in (scene.made_anywhere(ask, levels=levels).items() if ask else ()):
            made = [m for m in found if m[0] >= DONE_AGREE[m[4]] and DONE_MAG[0] <= m[1] <= DONE_MAG[1] and m[2] >= 0.5]
            if made:
                done[s] = min([m[3] for m in made] + ([done[s]] if s in done else []))
    return done


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
