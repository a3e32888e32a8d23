"""Slow steps of a moving camera, from how long it stayed at each step's station
(:mod:`..scene.stations`): the clips of a camera standing at a station look alike however
long it stays there, so a step done twice in a row, or slowly, at its station often passes
the clips' own timing.

A step whose trainee time at its station, over the gold's and over this trainee's pace (the
larger of its pace at the stations and its pace from the clips,
:func:`.detect_steps.trainee_pace`), is at least the profile's ``slow_ratio`` (the clips'
slow-step threshold) and at least ``MIN_EXTRA_SEC`` longer is reported as ``slow_step``, with
the dwell as its evidence, unless the clips already report that step, or a timing deviation
(slow, fast, repeated step, long idle, extra action) already covers the time the camera stayed
there. Consecutive steps at one station share one stay and get one deviation.
"""
from __future__ import annotations

import numpy as np

from .deviation import Deviation, make, span, tc
from .pair_evidence import PairEvidence, StepStatus

#: the trainee stayed at least this many seconds longer than its pace says (as for the clips)
MIN_EXTRA_SEC = 2.0
TIMING = ("slow_step", "fast_step", "repeated_step", "long_idle", "extra_action")


def _covered(devs: list[Deviation], s: int, t0: float, t1: float) -> bool:
    for d in devs:
        if d.gold_step == s and d.type != "order_swap":
            return True
        tt = d.trainee_time or {}
        if d.type in TIMING and tt.get("start_sec", np.inf) <= t1 and t0 <= tt.get("end_sec", -np.inf):
            return True
    return False


def station_devs(pe: PairEvidence, status: list[StepStatus], devs: list[Deviation], pace: float) -> list[Deviation]:
    """The new ``slow_step`` deviations from the stations' dwell (none for a fixed camera, a
    pair without pictures, or too few steps measured); ``devs``: those reported so far;
    ``pace``: the trainee's pace from the clips."""
    scene = pe.scene
    located = [s.where.start for s in status if s.where is not None]
    if scene is None or not scene.usable or not located:
        return []
    dwell = scene.station_dwell(pe.tr_tl.t0(min(located)))
    if dwell is None or not np.isfinite(dwell.pace):
        return []
    profile, out, flagged = pe.profile, [], set()
    for s, st in enumerate(status):
        r = dwell.ratio(s, pace)
        if not np.isfinite(r) or r < profile.slow_ratio:
            continue
        if dwell.shared[s] and s - 1 in flagged:
            continue  # the previous step's stay: one stay, one deviation
        flagged.add(s)
        if dwell.trainee[s] - dwell.gold[s] * dwell.norm(pace) < MIN_EXTRA_SEC:
            continue
        t0, t1 = (float(x) for x in dwell.when[s])
        if _covered(devs, s, t0, t1):
            continue
        step = st.step
        msg = (f"step {step.index + 1} '{step.name}' much slower: the camera stayed at its station "
               f"{dwell.trainee[s]:.0f} s (from {tc(t0)} to {tc(t1)}) vs {dwell.gold[s]:.0f} s in the gold, "
               f"{r:.1f}x at this trainee's pace ({dwell.norm(pace):.1f}x): done slowly, "
               f"more than once, or held up there")
        conf = min(1.0, 0.8 + 0.2 * (r - profile.slow_ratio) / profile.slow_ratio)
        out.append(make("slow_step", step, span(step.start_sec, step.end_sec), span(t0, t1), conf, msg,
                        profile, evidence=dwell.to_dict(s, pace)))
    return out
