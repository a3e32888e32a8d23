"""A clips' deviation the both-ways search backs up: the step's result is nowhere.

When the clips report a step missing or done wrongly, the both-ways search of
:mod:`.detect_scene` looks for the gold step's change anywhere in the trainee's video. Found,
the step was done and the deviation goes. Not found, the clips' deviation stayed as the clips
weighed it: often barely above ``min_confidence``, because a step left out still matches a
neighbour somewhat (seed 49's bracket, `connect sensor` left out, confidence 0.36: the pair
passed with 85.6). The search's failure is evidence too, under the result check's two signs
(:mod:`.detect_result`, :mod:`.detect_handoff`): the gold shows the step's lasting change
clearly, no level of pictures finds it in the trainee (agreement under ``NOT_FOUND``), and the
two end scenes differ over its region. The deviation then carries that evidence and at least
the result check's confidence for it (``CONF_BASE``, rising as the agreement falls to 0).
No new search: the steps asked are those the both-ways search asked already.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .detect_handoff import searched_best
from .detect_result import CLEAR_GOLD, CONF_BASE, CONF_SPAN, NOT_FOUND, step_box
from .deviation import Deviation
from .pair_evidence import PairEvidence

KINDS = ("missing_step", "wrong_step")


def _box(pe: PairEvidence, n: int) -> list[int] | None:
    """Step n's region as a box on the end scenes (the pair report outlines it), from the
    first level whose change is clear; None without the end scenes' size."""
    scene = pe.scene
    shape = getattr(scene.outcome, "shape", None)
    for level in ([lv.name for lv in scene.levels] if shape is not None else []):
        ch = scene.lasting_changes([n], level).get(n)
        if ch is not None and ch.reliability >= CLEAR_GOLD:
            return step_box(ch.region, shape)
    return None


def absent_backed(pe: PairEvidence, devs: list[Deviation], done: set[int]) -> list[Deviation]:
    """``devs`` with each clips-only ``missing_step`` / ``wrong_step`` (no evidence yet) whose
    step is not in ``done`` (found made by the pictures) and whose result the pictures find
    nowhere (the two signs above) replaced by a copy carrying that evidence, its confidence
    raised to the result check's (its penalty scaled alike) where that is higher."""
    out = []
    for d in devs:
        if d.type not in KINDS or d.evidence is not None or d.gold_step is None or d.gold_step in done:
            out.append(d)
            continue
        got = searched_best(pe, d.gold_step)
        if got is None or got[0] >= NOT_FOUND or got[2] is None:
            out.append(d)
            continue
        a, size, sign = got
        conf = CONF_BASE + CONF_SPAN * float(np.clip((NOT_FOUND - a) / NOT_FOUND, 0.0, 1.0))
        evidence = {"source": "scene", "finding": "the step's result is nowhere in the trainee's pictures",
                    "agreement": round(a, 2), "size": round(size, 2), "end_difference": round(sign, 2),
                    "step_box": _box(pe, d.gold_step)}
        if conf > d.confidence:
            d = replace(d, penalty=round(d.penalty / max(d.confidence, 1e-6) * conf, 2), confidence=round(conf, 3))
        out.append(replace(d, evidence=evidence, message=f"{d.message}; its result is nowhere in the trainee's pictures"))
    return out
