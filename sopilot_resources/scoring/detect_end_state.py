"""A step the clips found whose result is not there when the trainee's video ends: ``wrong_step``.

The clips place a step where its motion looks like the gold's; a step done wrongly moves the
same way. What tells it is the place where the gold's result sits: at the end of the trainee's
video it still looks as it did before the step (:mod:`..scene.end_state`). A step is reported
when, for a fixed gold camera,

- the gold's change is clear (its two estimates agree at least CLEAR_GOLD) and lasts,
- the step ended, in both videos, before their end scenes were taken, and
- at *every* level of pictures where its region shows in both end scenes (the stills as kept,
  "detail", and the comparison's pictures), the trainee's end looks like the gold's before
  (``EndState.undone``): one level alone may be fooled by a crowded fixture at its size;
- for gold steps detected from the video (no steps file), whose bounds are estimates and may
  cut a true step in two, every level sees the region: a region at the finest level only is
  then no step's result (seed 1's valve: a 2 px one, in the middle of `tighten screw`,
  failed correct videos). The coarse level is asked first for them, so the costly 640 px
  regions are made only for steps it already sees undone. Until stop 37 detected steps were
  not checked at all (docs/bench/accuracy.md, "Detected-steps end-state round").

Cheap: two end scenes per level, no search through the trainee's video (that is the opt-in
result check, :mod:`.detect_result`, which also finds results made and then undone elsewhere).
"""
from __future__ import annotations

import numpy as np

from .deviation import Deviation, make, span, tc
from .detect_result import CLEAR_GOLD, step_box
from .detect_scene import settled_in_time
from .pair_evidence import PairEvidence, StepStatus

#: confidence of the deviation: CONF_BASE, plus up to CONF_SPAN as the agreement rises to 1
CONF_BASE, CONF_SPAN = 0.6, 0.3


def end_state_deviations(pe: PairEvidence, status: list[StepStatus], devs: list[Deviation]) -> list[Deviation]:
    """New ``wrong_step`` deviations for the steps the clips found (``status``) and report
    neither missing nor wrong (``devs``) whose result the trainee's end scene does not show."""
    scene = pe.scene
    if scene is None or not scene.usable:
        return []
    named = {d.gold_step for d in devs if d.gold_step is not None and d.type in ("missing_step", "wrong_step")}
    tr_tl = pe.tr_tl
    tr_spans = [None if st.where is None else (tr_tl.t0(st.where.start), tr_tl.t1(st.where.end)) for st in status]
    gold_spans = [(s.start_sec, s.end_sec) for s in pe.steps]
    ask = [s for s, st in enumerate(status) if st.found and st.where is not None and s not in named
           and settled_in_time(s, gold_spans, tr_spans, pe.gold_still_times, pe.trainee_end)]
    if not ask:
        return []
    # detected steps must be seen undone at every level: the coarse one first, so the costly
    # fine regions are made only for the steps it already sees undone
    states = scene.end_states(ask, min_reliability=CLEAR_GOLD, coarse_first=not pe.steps_given)
    shape = scene.outcome.shape
    out = []
    for s in ask:
        found = states.get(s) or []
        if not found or not all(e.undone for e in found):
            continue
        if not pe.steps_given and len(found) < len(scene.levels):  # a detected step: every level sees it
            continue
        st, where = status[s], tr_spans[s]
        agree = min(e.agreement for e in found)
        conf = CONF_BASE + CONF_SPAN * float(np.clip(agree, 0.0, 1.0))
        msg = (f"step {s + 1} '{st.step.name}' done differently: where the gold's result sits, the "
               f"trainee's work area ends as it was before the step (trainee {tc(where[0])}-{tc(where[1])}, "
               f"gold {tc(st.step.start_sec)}-{tc(st.step.end_sec)})")
        # the finest level's region: a small part's step may have one at 640 px only
        region = scene.lasting_changes([s], found[0].level)[s].region
        finding = "the step's result is not in the trainee's end scene"
        if any(e.gold_scene == "after" for e in found):
            finding += " (the gold's end hides the place: compared with the gold right after the step)"
        evidence = {"source": "scene", "finding": finding,
                    "agreement": round(agree, 2), "levels": [e.to_dict() for e in found],
                    "step_box": None if shape is None else step_box(region, shape)}
        out.append(make("wrong_step", st.step, span(st.step.start_sec, st.step.end_sec), span(*where), conf,
                        msg, pe.profile, st.critical, evidence=evidence))
    return out
