"""Too long between two results: a step much slower than the others, timed by the pictures.

The clips time a step by how its motion looks. A slow execution keeps looking like the step
(slow moves even read as still), and the in-order segmentation shares its time out to its
neighbours, so it measures as an ordinary step (seeds 3-21's bracket and terminals: 3.2x steps
measured at 1.9-2.2x). The pictures time a step by its result: with a fixed camera each step's
result is found made at some moment of the trainee's video (:func:`.detect_scene_done.made_steps`).
The time from one step's result to the next one's, over the gold's from the end of the one to
the end of the other, is the pace of that stretch of work; the median over the *other*
stretches (:func:`.detect_timing.others_median`) is the trainee's pace. A stretch at least
``slow_ratio`` x that pace and 2 s longer, that no deviation reported so far explains (a pause,
an extra action, a repeat, a step missing, wrong, slow or out of order there), is a
``slow_step`` at the later step. The earlier step done again right after its result stretches
it alike (the pictures cannot tell the two apart), so the message says so.

Only with a steps file (detected gold steps' ends are estimates) and a fixed camera (a moving
one's stays at its stations are timed by :mod:`.detect_stations`). Opt-in (profile
``result_pace_check``: searching every step's result costs), except on a pair where the clips
doubted a step (missing or done wrongly) and the pictures found it done
(:func:`lifted_by_pictures`): such a step has no time the clips measured, so nothing else can
find it slow (seed 1's terminals, `tighten T4` done 3.2x slower: five of six steps unrecognised
by the clips, all found done by the pictures, and the pair passed with 100).
"""
from __future__ import annotations

from ..scene.search import STATE_STEP
from .detect_scene_done import made_steps, scaled_by
from .detect_timing import others_median
from .deviation import Deviation, make, span, tc
from .pair_evidence import PairEvidence, StepStatus

#: a stretch must be this many seconds longer than the trainee's pace makes it (as the clips' rule),
#: beyond the moments' own uncertainty: each is a sample of the trainee's scene, every
#: ``STATE_STEP`` s (seed 57's fast terminals trainee, correct: 4 s between two results for the
#: gold's 3 s, 2.4 s over its pace of 0.54, read slow)
SLOW_EXTRA_SEC = 2.0
#: stretches timed, at least (the rule as measured when it was made, stop 36; the clips' own
#: ``OTHERS_MIN`` rose to 5 after, for a 4-step video, and had silently raised this too: seed 1's
#: slow terminals pair, six steps, has four stretches timed). Under ``OTHERS_MIN``, each is
#: measured against the median of all (:func:`.detect_timing.others_median`)
STRETCHES_MIN = 4


def lifted_by_pictures(before: list[Deviation], after: list[Deviation]) -> set[int]:
    """The gold steps the clips reported missing or done wrongly (``before``: the deviations
    before the scene comparison) that nothing reports any more (``after``): the pictures found
    them done."""
    doubted = {d.gold_step for d in before if d.type in ("missing_step", "wrong_step") and d.gold_step is not None}
    return doubted - {d.gold_step for d in after}


def result_stretches(pe: PairEvidence, made: dict[int, float]) -> list[tuple[int, float, float, float]]:
    """(k, a, b, pace) per pair of consecutive gold steps k - 1, k whose results were both found
    made, in order, at trainee seconds a < b: pace = (b - a) / the gold's seconds from the end
    of step k - 1 to the end of step k."""
    out = []
    for k in range(1, len(pe.steps)):
        if k - 1 in made and k in made and made[k] > made[k - 1]:
            gold = max(pe.steps[k].end_sec - pe.steps[k - 1].end_sec, pe.gold_tl.hop)
            out.append((k, made[k - 1], made[k], (made[k] - made[k - 1]) / gold))
    return out


def _explained(k: int, a: float, b: float, devs: list[Deviation]) -> bool:
    """Does a deviation reported so far name step k - 1 or k, or cover part of (a, b)?"""
    for d in devs:
        if d.gold_step in (k - 1, k):
            return True
        tt = d.trainee_time
        if tt is not None and min(tt["end_sec"], b) - max(tt["start_sec"], a) > 0.0:
            return True
    return False


def slow_between_results(pe: PairEvidence, status: list[StepStatus], devs: list[Deviation],
                         lifted: set[int] = frozenset()) -> list[Deviation]:
    """New ``slow_step`` deviations for stretches between two results much slower than the
    trainee's other stretches (none without a fixed camera's pictures, a steps file, or at least
    ``STRETCHES_MIN`` stretches timed); ``devs``: those reported so far. Each step is timed at the
    comparison's own pictures; a step of ``lifted`` (:func:`lifted_by_pictures`) found made only
    in the stills as kept, by the time the scene comparison's search found there (asked
    already: no new search)."""
    scene, steps, profile = pe.scene, pe.steps, pe.profile
    if scene is None or not scene.usable or not pe.steps_given or not scene.fixed_camera:
        return []
    spans = {n: (s.start_sec, s.end_sec) for n, s in enumerate(steps)}
    every = scaled_by(pe)
    made = made_steps(scene, spans, coarse_only=True, every=every)
    finer = {s: spans[s] for s in lifted if s not in made}
    made.update(made_steps(scene, finer, every=every) if finer else {})
    stretches = result_stretches(pe, made)
    if len(stretches) < STRETCHES_MIN:
        return []
    out = []
    for (k, a, b, raw), pace in zip(stretches, others_median([x[3] for x in stretches])):
        gold = max(steps[k].end_sec - steps[k - 1].end_sec, pe.gold_tl.hop)
        rel = raw / max(pace, 1e-6)
        if rel < profile.slow_ratio or (b - a) - gold * pace < SLOW_EXTRA_SEC + STATE_STEP or _explained(k, a, b, devs):
            continue
        st = steps[k]
        msg = (f"step {k + 1} '{st.name}' much slower (or step {k} '{steps[k - 1].name}' done again): {b - a:.0f} s "
               f"from step {k}'s result (trainee {tc(a)}) to step {k + 1}'s ({tc(b)}) vs {gold:.0f} s in the gold, "
               f"{rel:.1f}x at this trainee's pace between results ({pace:.1f}x)")
        conf = min(1.0, 0.8 + 0.2 * (rel - profile.slow_ratio) / profile.slow_ratio)
        evidence = {"source": "scene", "finding": "long from the previous step's result to this step's",
                    "previous_result_sec": round(a, 2), "result_sec": round(b, 2), "gold_sec": round(gold, 2),
                    "ratio": round(rel, 2), "trainee_pace_between_results": round(pace, 2)}
        out.append(make("slow_step", st, span(st.start_sec, st.end_sec), span(a, b), conf, msg, profile,
                        status[k].critical, evidence=evidence))
    return out
