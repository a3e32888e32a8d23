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

from .detect_handoff import searched_best
from .detect_result import NOT_FOUND, not_found_confidence, step_box
from .deviation import Deviation, at_least
from .pair_evidence import PairEvidence

KINDS = ("missing_step", "wrong_step")


def absent_backed(pe: PairEvidence, devs: list[Deviation], done: set[int]) -> list[Deviation]:
    """``devs`` with each clips-only ``missing_step`` / ``wrong_step`` (no evidence yet) whose
    step is not in ``done`` (found made by the pictures) and whose result the pictures find
    nowhere (the two signs above) replaced by a copy carrying that evidence, at least as sure
    as the result check would be (:func:`.detect_result.not_found_confidence`). ``step_box``:
    the step's region on the end scenes, which the pair report outlines."""
    shape = getattr(pe.scene.outcome, "shape", None) if devs else None
    out = []
    for d in devs:
        got = None
        if d.type in KINDS and d.evidence is None and d.gold_step is not None and d.gold_step not in done:
            got = searched_best(pe, d.gold_step)
        if got is None or got.agreement >= NOT_FOUND or got.end_difference is None:
            out.append(d)
            continue
        evidence = {"source": "scene", "finding": "the step's result is nowhere in the trainee's pictures",
                    "agreement": round(got.agreement, 2), "size": round(got.size, 2),
                    "end_difference": round(got.end_difference, 2),
                    "step_box": None if shape is None else step_box(got.region, shape)}
        out.append(replace(at_least(d, not_found_confidence(got.agreement)), evidence=evidence,
                           message=f"{d.message}; its result is nowhere in the trainee's pictures"))
    return out
