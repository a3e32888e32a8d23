"""Defective performances and their ground truth.

Each defect is a small edit of a correct trainee's entry list (see :mod:`.plan`); after the
timeline is realized, :func:`expected_deviations` reads the true trainee time of the defect off
the segments. Deviation type names are the scoring engine's.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import actions as A
from .plan import Entry, Segment
from .procedures import TaskSpec

#: video kind -> engine deviation type
DEVIATION_TYPES = {
    "missing": "missing_step", "swap": "order_swap", "repeat": "repeated_step", "extra": "extra_action",
    "wrong": "wrong_step", "slow": "slow_step", "idle": "long_idle",
}
SLOW_FACTOR = 3.2  # "much slower": > 2.5x the gold duration
LONG_IDLE_SEC = (10.0, 12.0)  # "long idle": > 8 s


@dataclass(frozen=True)
class Defect:
    kind: str  # key of DEVIATION_TYPES
    step: int  # gold step it concerns (for extra / idle: the step it follows)
    label: str  # readable suffix for the file name


def apply_defect(entries: list[Entry], defect: Defect, task: TaskSpec, gold: list[float], rng: np.random.Generator) -> list[Entry]:
    """Return a new entry list with ``defect`` applied to the correct performance ``entries``."""
    out = list(entries)
    i = defect.step
    pos = next(k for k, e in enumerate(out) if e.gold_step == i)
    if defect.kind == "missing":
        del out[pos]
    elif defect.kind == "swap":
        out[pos], out[pos + 1] = out[pos + 1], out[pos]
    elif defect.kind == "repeat":
        out.insert(pos + 1, replace(out[pos], role="repeat", duration=gold[i] * float(rng.uniform(0.8, 1.2))))
    elif defect.kind == "extra":
        out.insert(pos + 1, Entry(extra_action(task, rng), None, float(rng.uniform(3.0, 4.5)), "extra", idle_after=0.6))
    elif defect.kind == "wrong":
        out[pos] = replace(out[pos], action=out[pos].action.wrong(), role="wrong")
    elif defect.kind == "slow":
        out[pos] = replace(out[pos], duration=gold[i] * SLOW_FACTOR)
    elif defect.kind == "idle":
        out[pos] = replace(out[pos], idle_after=float(rng.uniform(*LONG_IDLE_SEC)))
    else:
        raise ValueError(f"unknown defect kind {defect.kind!r}")
    return out


def extra_action(task: TaskSpec, rng: np.random.Generator) -> A.Action:
    """An action that is not in the SOP: moving something between two spots no step uses."""
    lay = task.layout
    a, b = (lay.anchor(n) for n in lay.extra_anchors[:2])
    if rng.random() < 0.5:
        a, b = b, a
    return A.PickPlace("move spare part", b, (70, 70, 160), 0.05 * lay.arm_scale, src=a)


def foreign_entries(task: TaskSpec, gold: list[float], rng: np.random.Generator) -> list[Entry]:
    """An unrelated performance at this station: other actions at other places, other order."""
    names = list(task.layout.anchors)
    used = {(s.action.kind, s.action.at) for s in task.steps}
    kinds = [A.Wipe, A.Inspect, A.Press, A.Screw]
    out: list[Entry] = []
    while len(out) < len(task.steps):
        cls = kinds[int(rng.integers(len(kinds)))]
        at = task.layout.anchor(names[int(rng.integers(len(names)))])
        if (cls.kind, at) in used:
            continue
        used.add((cls.kind, at))
        size = 0.04 * task.layout.arm_scale
        out.append(Entry(cls(f"other {cls.kind}", at, (200, 200, 200), size), None, float(rng.uniform(2.5, 5.0)), "extra",
                         idle_after=float(rng.uniform(0.3, 1.5))))
    return out


def pick_defects(task: TaskSpec, rng: np.random.Generator) -> list[Defect]:
    """One defect of each kind (two for missing: a non-critical and a critical step).

    Defects are placed on inner steps so that every one has a step before and after it.
    """
    n = len(task.steps)
    names = [s.name.replace(" ", "-") for s in task.steps]
    inner = list(range(1, n - 1))
    crit = [i for i in range(n) if task.steps[i].critical]
    plain = [i for i in inner if not task.steps[i].critical] or inner

    def pick(pool):
        return int(pool[int(rng.integers(len(pool)))])

    m, mc, sw = pick(plain), pick(crit), pick(list(range(1, n - 2)) or inner)
    rp, ex, wr, sl, idl = pick(inner), pick(inner), pick(inner), pick(inner), pick(inner)
    return [
        Defect("missing", m, f"missing_{names[m]}"),
        Defect("missing", mc, f"missing-critical_{names[mc]}"),
        Defect("swap", sw, f"swap_{names[sw]}_{names[sw + 1]}"),
        Defect("repeat", rp, f"repeat_{names[rp]}"),
        Defect("extra", ex, f"extra_after-{names[ex]}"),
        Defect("wrong", wr, f"wrong_{names[wr]}"),
        Defect("slow", sl, f"slow_{names[sl]}"),
        Defect("idle", idl, f"idle_after-{names[idl]}"),
    ]


def _span(seg: Segment) -> dict:
    return {"start_sec": round(seg.start_sec, 3), "end_sec": round(seg.end_sec, 3)}


def expected_deviations(defect: Defect, segments: list[Segment], step_names: list[str]) -> list[dict]:
    """Ground-truth deviations of a defective video, with the engine's type names."""
    i = defect.step
    typ = DEVIATION_TYPES[defect.kind]
    base = {"type": typ, "gold_step": i, "gold_step_name": step_names[i]}
    occ = [s for s in segments if s.gold_step == i and s.role != "idle"]
    if defect.kind == "missing":
        return [{**base, "trainee_time": None}]
    if defect.kind == "swap":
        pair = [s for s in segments if s.gold_step in (i, i + 1)]
        span = {"start_sec": round(min(s.start_sec for s in pair), 3), "end_sec": round(max(s.end_sec for s in pair), 3)}
        return [{**base, "gold_steps": [i, i + 1], "trainee_time": span}]
    if defect.kind == "repeat":
        return [{**base, "trainee_time": _span(occ[1])}]
    if defect.kind in ("wrong", "slow"):
        return [{**base, "trainee_time": _span(occ[0])}]
    if defect.kind == "extra":
        after = next(s for s in segments if s.role == "extra")
    else:  # idle: the pause right after the step
        after = segments[segments.index(occ[0]) + 1]
    return [{"type": typ, "gold_step": None, "after_gold_step": i, "gold_step_name": step_names[i], "trainee_time": _span(after)}]
