"""Deviations from the scene comparison (:mod:`sopilot_resources.scene`): what the steps left
behind, not how they looked while being done.

- A **lasting difference where the gold changed the scene** (the trainee's result differs, or
  is not there) belongs to the gold step during which the gold made that change: a step the
  clips found is then ``wrong_step``; one they report missing or wrong keeps its deviation,
  with the pictures as evidence and at least their confidence.
- A **lasting difference where only the trainee changed the scene** is work the gold never
  does: during a located step and next to where that step works (``NEAR_PX``), that step done
  at the wrong place (``wrong_step``); otherwise an ``extra_action`` (unless the clips already
  report one there).
- **Both ways**: a step the clips report missing or done wrongly is taken as done when the
  trainee made the gold step's change (the same change, in the same region) between the steps
  found around it; made after the next step (or before the previous one), it was done out of
  order (``order_swap``, :mod:`.detect_scene_order`). A clips' slow step whose span held such
  a step is the two steps, not slow; a clips' extra action whose span held it is that step; a
  clips' repeat whose other occurrence is that step's work is no repeat (:mod:`.detect_scene_done`).

Differences that only appear at the very end of a video (the performer's last pose), whose
moment cannot be told, or that are weaker than ``STRONG`` units of this pair's own noise are
not used. Each scene deviation carries ``evidence`` (what differs, where, how clearly, when).
"""
from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from ..scene import LastingDifference
from ..scene.outcome import EDGE_SEC
from .deviation import Deviation, at_least, make, span, tc
from .detect_handoff import handed_on
from .detect_scene_absent import absent_backed
from .detect_scene_done import extra_for_done, made_steps, repeat_for_done, scaled_by, slow_for_done
from .detect_scene_order import done_out_of_order
from .pair_evidence import PairEvidence, StepStatus
from .profile import Profile

#: a lasting difference counts when it stands out this many noise units of the pair
STRONG = 8.0
#: ... and was seen settled (the region first showing its end look) this many seconds before
#: the trainee video ends: one hidden by the performer until then may be the last pose
FINAL_SEC = 2.0
#: a moment belongs to a step from LEAD s before its start to TAIL s after its end
LEAD, TAIL = 0.5, 1.0
#: a change where the gold changes nothing, within this many pixels (320 px stills) of the
#: region of the step during which it was made, is that step done at the wrong place; farther
#: away, it is an extra action
NEAR_PX = 12


def confidence(strength: float) -> float:
    """0.5 at STRONG, rising 0.05 per noise unit above it, at most 0.9."""
    return float(np.clip(0.5 + 0.05 * (strength - STRONG), 0.5, 0.9))


def step_at(spans: list[tuple[float, float] | None], when: tuple[float, float], times: np.ndarray,
            seen: np.ndarray | None, regions: list | None = None, mask: np.ndarray | None = None,
            cover_only: bool = False) -> int | None:
    """The step during which a region changed, ``when`` = (earliest, latest) seconds: among the
    steps (``spans``, with LEAD / TAIL slack) overlapping that stretch, the one whose own
    region (``regions``) covers the changed one most, else the one during which the region was
    hidden longest (the performer works where the hand is: the region cannot be seen while
    it changes); ``times``/``seen``: the video's still times and where the region was seen.
    None when no step overlaps, or (``cover_only``) when no step's region covers it."""
    lo, hi = when
    cands = [i for i, sp in enumerate(spans) if sp is not None and sp[0] - LEAD <= hi and lo <= sp[1] + TAIL]
    if not cands:
        return None
    if regions is not None and mask is not None:
        cover = [float(regions[i][mask].mean()) if regions[i] is not None else 0.0 for i in cands]
        if max(cover) >= 0.2:
            return cands[int(np.argmax(cover))]
    if cover_only:
        return None
    if seen is None:
        return cands[-1]

    def hidden(i: int) -> float:
        a, b = spans[i]
        sel = (times >= a) & (times <= b)
        return float(1.0 - seen[sel].mean()) if sel.any() else 0.0

    return max(cands, key=lambda i: (hidden(i), -i))


def _evidence(d: LastingDifference, note: str) -> dict:
    return {"source": "scene", "finding": note, **d.to_dict()}


def _usable(d: LastingDifference, gold_last_end: float, trainee_end: float) -> bool:
    if d.strength < STRONG:
        return False
    if d.kind == "result":
        return d.gold_time is not None and d.gold_time[0] <= gold_last_end + TAIL and (
            d.trainee_time is None or d.trainee_time[1] <= trainee_end - FINAL_SEC)
    return d.trainee_time is not None and d.trainee_time[1] <= trainee_end - FINAL_SEC


def _backed(d: Deviation, diff: LastingDifference, note: str) -> Deviation:
    """Deviation ``d`` backed up by the pictures: their evidence, and at least their confidence."""
    evidence = d.evidence if d.evidence is not None else _evidence(diff, note)
    return replace(at_least(d, confidence(diff.strength)), evidence=evidence)


def _near(mask: np.ndarray, region: np.ndarray | None) -> bool:
    """Does ``mask`` lie within NEAR_PX of a step's ``region`` (a part put one place off)?"""
    if region is None:
        return False
    grown = cv2.dilate(region.astype(np.uint8), np.ones((2 * NEAR_PX + 1, 2 * NEAR_PX + 1), np.uint8)) > 0
    return bool((grown & mask).any())


def settled_in_time(s: int, gold_spans, tr_spans, gold_times: np.ndarray, trainee_end: float) -> bool:
    """Step s ended, in both videos, before their end scenes (the last EDGE_SEC s) were taken."""
    g_end = float(gold_times[-1]) if len(gold_times) else gold_spans[-1][1]
    ok = gold_spans[s][1] <= g_end - EDGE_SEC
    return ok and (tr_spans[s] is None or tr_spans[s][1] <= trainee_end - EDGE_SEC)


def scene_deviations(pe: PairEvidence, status: list[StepStatus], devs: list[Deviation]) -> list[Deviation]:
    """The clips' deviations ``devs`` revised and extended by the scene comparison
    (``pe.scene``): a new list; the deviations the pictures back up are replaced by backed copies."""
    scene = pe.scene
    if scene is None or not scene.usable:
        return list(devs)
    out = scene.outcome
    steps, tr_tl, profile, trainee_end = pe.steps, pe.tr_tl, pe.profile, pe.trainee_end
    gold_spans = [(s.start_sec, s.end_sec) for s in steps]
    tr_spans = [None if st.where is None else (tr_tl.t0(st.where.start), tr_tl.t1(st.where.end)) for st in status]
    clip_kinds = ("missing_step", "wrong_step")
    by_step = {d.gold_step: d for d in devs if d.type in clip_kinds}
    # both ways: a step the clips report missing or wrong whose change the trainee made, like
    # the gold's and where the gold's is, between the steps around it, is done
    done = made_steps(scene, {s: gold_spans[s] for s in by_step}, every=scaled_by(pe))
    kept = [x for x in devs if not any(x is by_step[s] for s in done)]
    expected = pe.expected * tr_tl.hop  # (S,) seconds
    late = {d.gold_step for d in done_out_of_order(done, status, tr_spans, kept, profile, expected)}
    if late:  # out of order as the comparison's pictures see it: the stills as kept may show it earlier
        done = made_steps(scene, {s: gold_spans[s] for s in late}, known=done)
    # a step's stretch needs its true duration: detected gold steps' spans are coarser (seed 21's
    # bracket, detected: a 5.5 s step for 4.2 s of work took a real extra action's seconds)
    given = pe.steps_given
    devs = [x for x in devs if not any(x is by_step[s] for s in done)
            and not slow_for_done(x, done, expected, profile.slow_ratio)
            and not (given and extra_for_done(x, done, expected, profile.extra_min_sec))
            and not (given and repeat_for_done(x, pe, done, expected))]
    devs += done_out_of_order(done, status, tr_spans, devs, profile, expected)
    devs += handed_on(pe, status, {s: by_step[s] for s in done}, devs)  # the blame one step off
    devs = absent_backed(pe, devs, set(done))  # searched for and found nowhere: the pictures agree
    # where each remaining clip deviation sits in ``devs`` (replaced there when backed up)
    slot = {d.gold_step: i for i, d in enumerate(devs) if d.type in clip_kinds and d.gold_step not in done}
    extras = [i for i, d in enumerate(devs) if d.type == "extra_action"]
    added: dict[int, Deviation] = {}
    # a moving gold camera's end scene shows its last station: a step elsewhere was out of view,
    # not hidden by the hand, so only a step whose own region covers the difference made it
    moving = not scene.fixed_camera
    for diff in (d for d in out.differences if _usable(d, gold_spans[-1][1], trainee_end)):
        if diff.kind == "result":
            s = step_at(gold_spans, diff.gold_time, pe.gold_still_times, diff.gold_seen, scene.regions, diff.mask,
                        cover_only=moving)
            if s is None and moving:
                continue
            if s is None:
                s = max([i for i, (_, b) in enumerate(gold_spans) if b <= diff.gold_time[0]], default=None)
            note = "the trainee's result differs from the gold's, or is not there"
        else:
            s = step_at(tr_spans, diff.trainee_time, pe.trainee_still_times, diff.trainee_seen)
            note = "the trainee changed a place the gold's procedure does not touch"
            if s is not None and not _near(diff.mask, scene.regions[s] if s < len(scene.regions) else None):
                s = None  # far from where this step works: extra work, not this step misplaced
        if s is None:
            devs = _extra(diff, devs, extras, status, tr_spans, profile)
            continue
        if not settled_in_time(s, gold_spans, tr_spans, pe.gold_still_times, trainee_end):
            continue  # its result had not settled when a video's end scene was taken
        if s in slot:  # the clips already report it: the pictures back them up
            devs[slot[s]] = _backed(devs[slot[s]], diff, note)
            continue
        if s in added or not status[s].found:
            continue
        st = status[s]
        where = tr_spans[s]
        msg = (f"step {s + 1} '{st.step.name}' done differently: {note} "
               f"(trainee {tc(where[0])}-{tc(where[1])}, gold {tc(st.step.start_sec)}-{tc(st.step.end_sec)})")
        added[s] = make("wrong_step", st.step, span(st.step.start_sec, st.step.end_sec), span(*where),
                        confidence(diff.strength), msg, profile, st.critical, evidence=_evidence(diff, note))
    return devs + list(added.values())


def _extra(diff: LastingDifference, devs: list[Deviation], extras: list[int], status: list[StepStatus],
           tr_spans: list, profile: Profile) -> list[Deviation]:
    """``devs`` with an extra action ending at the trainee moment of ``diff`` added, unless the
    clips report one there (``extras``: their positions in ``devs``): then that one backed up."""
    t0, t1 = (float(x) for x in diff.trainee_time)
    t0 = max(0.0, min(t0, t1 - 1.0))
    for i in extras:
        tt = devs[i].trainee_time or {}
        if tt.get("start_sec", 1e9) - 2.0 <= t1 and t0 <= tt.get("end_sec", -1e9) + 2.0:
            devs = list(devs)
            devs[i] = _backed(devs[i], diff, "the trainee changed a place no gold step touches")
            return devs
    before = [i for i, sp in enumerate(tr_spans) if sp is not None and sp[1] <= t1]
    step = status[max(before, key=lambda i: tr_spans[i][1])].step if before else None
    after = f" after step {step.index + 1} '{step.name}'" if step else ""
    msg = f"extra action{after}: something changed at {tc(t1)} where the gold's procedure changes nothing"
    return devs + [make("extra_action", step, None, span(t0, t1), confidence(diff.strength), msg, profile,
                        evidence=_evidence(diff, "the trainee changed a place no gold step touches"))]
