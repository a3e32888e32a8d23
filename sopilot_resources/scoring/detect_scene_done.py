"""Steps the pictures find done (the both-ways search of :mod:`.detect_scene`:
:func:`made_steps`), and the time they explain: a clips' ``slow_step`` whose span holds such a
step is the two steps (:func:`slow_for_done`); a clips' ``extra_action`` whose span holds one
is that step's work, which the clips did not recognise (:func:`extra_for_done`); and a clips'
``repeated_step`` whose other occurrence is such a step's work is no repeat
(:func:`repeat_for_done`)."""
from __future__ import annotations

import numpy as np

from .deviation import Deviation
from .detect_scene_order import ORDER_SLACK

#: both ways: the trainee made a step's change when, at some level of pictures searched, it
#: correlates this well with the gold's (the stills as kept, "detail", show a small part's
#: change with its noise, so a step done reaches less there: docs/bench/accuracy.md, "Detail
#: round"), at a size within DONE_MAG of it
DONE_AGREE, DONE_MAG = {"pictures": 0.75, "detail": 0.65}, (0.5, 2.0)
#: a clips' repeat is no repeat when a step found made covers this share of its other
#: occurrence (:func:`repeat_for_done`)
REPEAT_COVER = 0.5
#: a trainee filmed softer than the gold (defocus, motion blur) shows every step's change
#: smaller: a match of good agreement under DONE_MAG's floor counts at the pair's own scale,
#: the median size of the other steps' good matches at that level (at least SCALE_MIN of them;
#: the floor never under SCALE_FLOOR x DONE_MAG's): seed 51's blurred terminals trainee, correct,
#: found its steps at 0.42-0.67x
SCALE_MIN, SCALE_FLOOR = 2, 0.5


def _good(m: tuple) -> bool:
    """A match (agreement, size, seen, when, level) like the gold's, seen, not too large."""
    return m[0] >= DONE_AGREE[m[4]] and m[1] <= DONE_MAG[1] and m[2] >= 0.5


def pair_scale(scene, spans: dict[int, tuple[float, float]], level: str, skip: int) -> float:
    """The size at which this pair's steps but ``skip`` show their changes at ``level``: the
    median size of their good matches (1.0 with fewer than SCALE_MIN; ``spans``: every step
    that can be searched, s -> gold seconds)."""
    ask = {s: sp for s, sp in spans.items() if s != skip}
    sizes = [m[1] for found in scene.made_anywhere(ask, levels=[level]).values() for m in found if _good(m)]
    return float(np.median(sizes)) if len(sizes) >= SCALE_MIN else 1.0


def scaled_by(pe) -> dict[int, tuple[float, float]] | None:
    """The steps a pair's own scale is measured over (:func:`pair_scale`, ``made_steps(...,
    every=)``): every gold step of ``pe`` (PairEvidence) but the last, whose change is not
    settled when the video ends; None (no scale) without a steps file: a detected step can hold
    two true steps, and its change made at a smaller size is then one of them left out (seed
    61's bracket, detected: `insert pin` missing, its step's change found at 0.4x)."""
    return {n: (s.start_sec, s.end_sec) for n, s in enumerate(pe.steps[:-1])} if pe.steps_given else None


def made_steps(scene, spans: dict[int, tuple[float, float]], known: dict[int, float] | None = None,
               coarse_only: bool = False, every: dict[int, tuple[float, float]] | None = None) -> dict[int, float]:
    """Per gold step of ``spans`` whose change the trainee made (at some level of pictures,
    ``DONE_AGREE`` / ``DONE_MAG``): the trainee seconds by which it was made. The comparison's
    own pictures are searched first, and the stills as kept ("detail", four times the pixels)
    only for the steps they leave undecided (a step is done when either level finds its
    change). ``known``: steps already found made (this function's earlier answer): only the
    finer levels are searched for ``spans``, for an earlier moment, and the answer is
    ``known`` with those moments lowered (the caller asks for the steps whose moment at the
    comparison's pictures puts them out of order: docs/scene.md, "Cost"). ``coarse_only``: the
    comparison's own pictures only (a step found there only in detail is not in the answer;
    detail costs about twice the rest of a pair's scene comparison when every step is asked).
    ``every``: all the gold's steps (s -> gold seconds): a good match smaller than DONE_MAG
    allows is then judged at the pair's own scale (:func:`pair_scale`, searched only then)."""
    done: dict[int, float] = dict(known or {})
    names = [lv.name for lv in scene.levels]  # finest first
    coarse, finer = names[-1:], names[:-1]
    if coarse_only:
        passes = [coarse] if coarse else [None]
    elif known is not None:
        passes = [finer] if finer else []
    else:
        passes = [coarse, finer] if finer else [None]  # one level (or none named): ask as it is
    for levels in passes:
        ask = {s: sp for s, sp in spans.items() if known is not None or s not in done}
        for s, found in (scene.made_anywhere(ask, levels=levels).items() if ask else ()):
            made = [m for m in found if _good(m) and m[1] >= DONE_MAG[0]]
            if not made and every is not None:  # a softer trainee's: at this pair's scale
                small = [m for m in found if _good(m) and m[1] >= SCALE_FLOOR * DONE_MAG[0]]
                made = [m for m in small if m[1] >= DONE_MAG[0] * min(1.0, pair_scale(scene, every, m[4], s))]
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


def extra_for_done(d: Deviation, done: dict[int, float], expected: np.ndarray, extra_min_sec: float) -> bool:
    """Is ``d`` a clips-only ``extra_action`` whose work is a step the clips did not recognise
    and the pictures found done in its span (``done``, ``expected``: as :func:`slow_for_done`)?
    The clips call work that looks like no gold step an extra action; a step done under other
    light or from another camera placement can look like none, yet leave the gold's change where
    the gold's is (seed 3's terminals, filmed harshly: its second step's 6.5 s). Each such step
    took the ``expected`` seconds up to the moment its change was made; it is, when the span
    less what those stretches cover of it is shorter than an extra action (``extra_min_sec``):
    an extra action done just before a step the clips missed keeps its own seconds."""
    if d.type != "extra_action" or d.evidence is not None or d.trainee_time is None:
        return False
    a, b = d.trainee_time["start_sec"], d.trainee_time["end_sec"]
    inside = [s for s, t in done.items() if a <= t <= b + ORDER_SLACK]
    if not inside:
        return False
    covered = np.zeros(max(1, int(round((b - a) * 20))), bool)  # the span at 0.05 s
    grid = a + (np.arange(len(covered)) + 0.5) / 20
    for s in inside:
        covered |= (grid >= done[s] - float(expected[s])) & (grid <= done[s])
    return (b - a) * (1.0 - covered.mean()) < extra_min_sec


def repeat_for_done(d: Deviation, pe, done: dict[int, float], expected: np.ndarray) -> bool:
    """Is ``d`` a clips-only ``repeated_step`` whose other occurrence (the one it does not
    report, :mod:`.detect_repeats`: ``pe.step_ev``) is the work of another step the clips
    missed and the pictures found done (``done``, ``expected``: as :func:`slow_for_done`)?
    A step that looks like its neighbour in the clips (the bracket's first two steps, under
    harsh light or another performer's hands: seeds 0, 9 and 13) gives the neighbour two
    occurrences. It is, when that step's stretch (its ``expected`` seconds up to the moment its
    change was made) covers ``REPEAT_COVER`` of the other occurrence."""
    if d.type != "repeated_step" or d.evidence is not None or d.trainee_time is None or d.gold_step is None:
        return False
    e = pe.step_ev[d.gold_step]
    if e.second is None:
        return False
    occ = [(pe.tr_tl.t0(x.start), pe.tr_tl.t1(x.end)) for x in (e.best, e.second)]
    a, b = d.trainee_time["start_sec"], d.trainee_time["end_sec"]
    f0, f1 = max(occ, key=lambda o: abs(o[0] - a) + abs(o[1] - b))  # the occurrence not reported
    for s, t in done.items():
        if s != d.gold_step and min(f1, t) - max(f0, t - float(expected[s])) >= REPEAT_COVER * (f1 - f0):
            return True
    return False
