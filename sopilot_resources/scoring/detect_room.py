"""Done wrongly, or left out? The time between the neighbours' results says.

A step reported done wrongly (``wrong_step``: by the clips, which squeeze a skipped step into
its neighbours' time, or by the pictures, whose "its result is not there" reads the same for a
step done wrongly and for one never done) may have been left out. What tells them apart is
time: a step done, rightly or not, takes its time between its neighbours; one left out takes
none. The pictures say when each neighbour's result was made in the trainee's video
(:func:`.detect_scene_done.made_steps`). When both were, in order, the trainee's time between
them, brought to the gold's pace, less what the gold spends there on the next step and the
pauses (everything between the two results but the step itself), is the time the step had:
under ``NO_ROOM`` of the gold step's duration, the step was left out (``missing_step``).

On the demo set's fixed cameras (seeds 0-21, every missing and wrong step with both
neighbours' results found, ``benchmarks/probe_room.py``): 33 of 37 missing steps had under 0.5
of their time, 16 of 17 wrong steps 0.68-2.57 (docs/bench/accuracy.md, "Room round").
"""
from __future__ import annotations

import numpy as np

from .deviation import Deviation, make, tc
from .detect_scene_done import made_steps, scaled_by
from .pair_evidence import PairEvidence, StepStatus

#: a step that had less than this share of its gold duration between its neighbours' results
#: was left out
NO_ROOM = 0.5


def room_share(pe: PairEvidence, k: int, made: dict[int, float], pace: float) -> tuple[float, float, float] | None:
    """(share, previous result's trainee s, next result's trainee s): the share of gold step
    ``k``'s duration that the trainee's time between its neighbours' results leaves it, at the
    trainee's ``pace``; ``made``: step -> trainee seconds by which its change was made. None
    when k is the first or last step, or a neighbour's result was not found, or they were made
    out of order."""
    steps = pe.steps
    if not 0 < k < len(steps) - 1 or (k - 1) not in made or (k + 1) not in made:
        return None
    a, b = made[k - 1], made[k + 1]
    if b <= a:
        return None
    dur = max(steps[k].duration, pe.gold_tl.hop)
    gold_room = steps[k + 1].end_sec - steps[k - 1].end_sec  # the gold's results come as its steps end
    share = ((b - a) / max(pace, 1e-6) - (gold_room - dur)) / dur
    return share, a, b


def slot_pace(pe: PairEvidence, status: list[StepStatus]) -> float:
    """The trainee's pace as the room is measured: the median over found steps in place of
    the located span's seconds over the gold step's *slot* (the step and half the pauses on
    either side: the in-order segmentation's spans take the pauses in too). Against the gold
    steps' bare durations a trainee at the gold's own timing read 1.33x where its steps are 3 s
    and its pauses 1 s, and a step done wrongly in its own time read as left out. 1.0 when no
    step was found."""
    steps, hop = pe.steps, pe.gold_tl.hop
    n = len(steps)
    lo = [steps[0].start_sec] + [(steps[k - 1].end_sec + steps[k].start_sec) / 2 for k in range(1, n)]
    hi = [(steps[k].end_sec + steps[k + 1].start_sec) / 2 for k in range(n - 1)] + [steps[-1].end_sec]
    r = [s.where.length * pe.tr_tl.hop / max(hi[k] - lo[k], hop)
         for k, s in enumerate(status) if s.found and s.in_place and s.where is not None]
    return float(np.median(r)) if r else 1.0


def left_out(pe: PairEvidence, status: list[StepStatus], devs: list[Deviation]) -> list[Deviation]:
    """``devs`` with each ``wrong_step`` that had no room (:func:`room_share` under
    ``NO_ROOM``, at :func:`slot_pace`) replaced by a ``missing_step`` with the times as
    evidence. Without scene evidence: as they are."""
    scene = pe.scene
    wrong = [d for d in devs if d.type == "wrong_step" and d.gold_step is not None]
    if scene is None or not scene.usable or not wrong:
        return list(devs)
    steps = pe.steps
    need = sorted({n for d in wrong for n in (d.gold_step - 1, d.gold_step + 1) if 0 <= n < len(steps)})
    made = made_steps(scene, {n: (steps[n].start_sec, steps[n].end_sec) for n in need}, every=scaled_by(pe))
    pace = slot_pace(pe, status)
    out = []
    for d in devs:
        got = room_share(pe, d.gold_step, made, pace) if any(d is w for w in wrong) else None
        if got is None or got[0] >= NO_ROOM:
            out.append(d)
            continue
        share, a, b = got
        k, st = d.gold_step, steps[d.gold_step]
        msg = (f"step {k + 1} '{st.name}' left out: between step {k}'s result (trainee {tc(a)}) and "
               f"step {k + 2}'s ({tc(b)}) there was time for {max(share, 0.0):.0%} of it at this trainee's pace")
        evidence = {"source": "scene", "finding": "no time for the step between its neighbours' results",
                    "previous_result_sec": round(a, 2), "next_result_sec": round(b, 2), "share_of_step": round(share, 2),
                    "trainee_pace": round(pace, 2), "was": d.type}
        if d.evidence:
            evidence["was_evidence"] = d.evidence
        out.append(make("missing_step", st, d.gold_time, None, d.confidence, msg, pe.profile, status[k].critical,
                        evidence=evidence))
    return out
