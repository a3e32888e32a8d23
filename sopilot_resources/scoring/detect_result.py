"""A step the clips found whose result is not in the trainee's pictures: ``wrong_step``.

The clips place a step where its motion looks like the gold's; whether it was done *right*
shows in what it left behind. For a fixed gold camera, each gold step whose result lasts in
the gold (:func:`..scene.lasting.lasting`, checked on both sides of the step, so the performer
resting in a window is not taken for a result) is searched for over the trainee's whole video
(:meth:`..scene.SceneEvidence.made_anywhere`). A step the clips found is reported done
differently when

- the gold shows the step's change clearly (its two estimates agree at least CLEAR_GOLD),
- no level of pictures finds it in the trainee (agreement below NOT_FOUND at every level),
- the pair's other checked steps are found (their median agreement at least PAIR_FOUND:
  this pair's pictures can be trusted to show a step's result), and
- either the trainee changed the region, unlike the gold (the best match is of a change at
  least the search's MIN_SIZE, and below CLEARLY_NOT), or the two end scenes differ where the
  step works (a lasting difference over the step's region, :mod:`..scene.outcome`): a second
  sign, from the end of the video, independent of when the trainee did what.

Thresholds: docs/bench/accuracy.md, "Result round".
"""
from __future__ import annotations

import cv2
import numpy as np

from ..scene.regions import GoldChange
from ..scene.search import MIN_SIZE
from .deviation import Deviation, make, span, tc
from .pair_evidence import PairEvidence, StepStatus

#: a step's change counts as not found below this agreement at every level searched; below
#: CLEARLY_NOT, with a change of at least the search's MIN_SIZE there (the trainee changed the
#: region, otherwise), no second sign is needed
NOT_FOUND, CLEARLY_NOT = 0.5, 0.4
#: only steps whose change the gold shows clearly: its two estimates agree this well
#: (``GoldChange.reliability``; every step with a region reaches 0.7)
CLEAR_GOLD = 0.9
#: ... judged only when the pair's other checked steps are found this well (median)
PAIR_FOUND = 0.75
#: confidence of the deviation: CONF_BASE, plus up to CONF_SPAN as the agreement falls to 0
CONF_BASE, CONF_SPAN = 0.6, 0.3


def _best(found: list[tuple]) -> tuple[float, float] | None:
    """(agreement, size) of a step's best match over the levels (None: its region was never seen)."""
    return max(((m[0], m[1]) for m in found), default=None)


def _at(region: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A step's ``region`` (any size) at the comparison's size ``shape`` (H, W)."""
    h, w = shape
    return cv2.resize(region.astype(np.uint8), (w, h), interpolation=cv2.INTER_AREA) > 0


def touches(region: np.ndarray, mask: np.ndarray) -> bool:
    """Does a step's ``region`` overlap a lasting difference's ``mask``, with a pixel of slack?"""
    small = _at(region, mask.shape)
    return bool((cv2.dilate(small.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)[mask].any())


def not_found_confidence(agreement: float) -> float:
    """Confidence that a step's result is not there, from its best ``agreement`` (under
    NOT_FOUND): CONF_BASE, plus up to CONF_SPAN as the agreement falls to 0."""
    return CONF_BASE + CONF_SPAN * float(np.clip((NOT_FOUND - agreement) / NOT_FOUND, 0.0, 1.0))


def step_box(region: np.ndarray, shape: tuple[int, int]) -> list[int] | None:
    """[x0, y0, x1, y1] around a step's ``region`` at the comparison's size (for its picture)."""
    ys, xs = np.nonzero(_at(region, shape))
    return None if ys.size == 0 else [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


def clear_searched(pe: PairEvidence, steps: list[int], level: str) -> dict[int, tuple[GoldChange, tuple | None]]:
    """Per step of ``steps`` whose lasting change the gold shows clearly at ``level`` (its two
    estimates agree at least CLEAR_GOLD): (that change, (agreement, size) of its best match
    over the trainee's video there; None: its region never seen)."""
    scene = pe.scene
    clear = {s: c for s, c in scene.lasting_changes(steps, level).items() if c.reliability >= CLEAR_GOLD}
    found = scene.made_anywhere({s: (pe.steps[s].start_sec, pe.steps[s].end_sec) for s in clear}, levels=[level])
    return {s: (c, _best(found[s])) for s, c in clear.items()}


def result_deviations(pe: PairEvidence, status: list[StepStatus], devs: list[Deviation]) -> list[Deviation]:
    """New ``wrong_step`` deviations for steps the clips found (``status``) and report
    nothing about (``devs``) whose result the trainee's pictures do not show."""
    scene = pe.scene
    if scene is None or not scene.usable:
        return []
    named = {d.gold_step for d in devs if d.gold_step is not None and d.type in ("missing_step", "wrong_step")}
    best: dict[int, tuple[float, float]] = {}  # step -> (agreement, size) of its best match
    regions: dict[int, np.ndarray] = {}
    # coarsest first (the cheaper search), a finer level only for the steps not yet found
    # PAIR_FOUND well: the judgement is that of the best level for every step (a step is
    # flagged below NOT_FOUND at all levels; the pair's median is at least PAIR_FOUND exactly
    # when half the other steps reach it at some level), the order changes only the cost
    for level in [lv.name for lv in scene.levels][::-1]:
        todo = [s for s in range(len(pe.steps)) if best.get(s, (-1.0, 0.0))[0] < PAIR_FOUND]
        for s, (c, got) in clear_searched(pe, todo, level).items():
            regions.setdefault(s, c.region)
            if got is not None:
                best[s] = max(best.get(s, (-1.0, 0.0)), got)
    checked = sorted(regions)
    if len(checked) < 2:
        return []
    diffs = [d for d in scene.outcome.differences if d.mask is not None]
    shape = scene.outcome.shape
    out = []
    for s in checked:
        st = status[s]
        if s in named or not st.found or st.where is None or s not in best or best[s][0] >= NOT_FOUND:
            continue
        others = [best[k][0] for k in checked if k != s and k in best]
        pair = float(np.median(others)) if others else -1.0
        sign = max((d.strength for d in diffs if touches(regions[s], d.mask)), default=None)
        a, size = best[s]
        clearly = a < CLEARLY_NOT and size >= MIN_SIZE
        if pair < PAIR_FOUND or (sign is None and not clearly):
            continue
        where = (pe.tr_tl.t0(st.where.start), pe.tr_tl.t1(st.where.end))
        conf = not_found_confidence(a)
        msg = (f"step {s + 1} '{st.step.name}' done differently: its result is not in the trainee's pictures "
               f"(trainee {tc(where[0])}-{tc(where[1])}, gold {tc(st.step.start_sec)}-{tc(st.step.end_sec)})"
               + ("; the end scenes differ where it works" if sign is not None else ""))
        evidence = {"source": "scene", "finding": "the step's result is not in the trainee's pictures",
                    "agreement": round(a, 2), "pair_agreement": round(pair, 2),
                    "end_difference": None if sign is None else round(sign, 2),
                    "step_box": None if shape is None else step_box(regions[s], shape)}
        out.append(make("wrong_step", st.step, span(st.step.start_sec, st.step.end_sec), span(*where), conf,
                        msg, pe.profile, st.critical, evidence=evidence))
    return out
