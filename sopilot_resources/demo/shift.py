"""Shift recordings: one camera over a station for many cycles of the task (issue 16).

``generate_shift`` renders, per task, the one-cycle gold with its steps file, a *cyclic* gold
(the gold performance three times over, no steps file) and shift recordings of ``cycles``
cycles each: correct and defective cycles mixed (``defect_share`` of them defective, one
defect each, as in :mod:`.deviations`), changeovers of 1.5-8 s between cycles (the finished
part goes, the station is as at the start again), a pace that drifts over the shift (each
cycle's steps x a factor moving linearly from 1 to 1 + ``drift``, drift drawn in +-0.3, plus
per-step variation), and a recording that starts and stops mid-cycle (first and last cycle
partial, 25-60 % of the cycle cut off). Ground truth per cycle in ``shift_manifest.json``.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from .arm import GOLD_PERFORMER, random_performer
from .clutter import dress_station
from .deviations import apply_defect, expected_deviations, pick_defects
from .look import QUICK_RESOLUTIONS, RESOLUTIONS, gold_look, random_look
from .plan import Segment, canonical_entries, gold_durations, gold_steps, paced_entries, realize
from .procedures import all_tasks
from .render import render_performance

CHANGEOVER_SEC = (1.5, 8.0)
PARTIAL_CUT = (0.25, 0.6)


def _shift(segs: list[Segment], dt: float) -> list[Segment]:
    return [replace(s, start_sec=s.start_sec + dt, end_sec=s.end_sec + dt) for s in segs]


def _truth(k: int, segs: list[Segment], kind: str, devs: list[dict], skip: float) -> dict:
    work = [s for s in segs if s.role != "idle"]
    return {"index": k, "start_sec": round(work[0].start_sec - skip, 3), "end_sec": round(work[-1].end_sec - skip, 3),
            "kind": kind, "deviations": devs, "partial": False}


def shift_timeline(task, gold: list[float], rng: np.random.Generator, n_cycles: int, defect_share: float = 0.3):
    """(segments, per-cycle truth, skip_sec, end_sec): the whole shift's timeline (from 0, the
    first cycle complete), where the camera starts and where it stops."""
    names = [s.name for s in task.steps]
    defects = pick_defects(task, rng)
    drift = float(rng.uniform(-0.3, 0.3))
    segs: list[Segment] = []
    truth: list[dict] = []
    t = 0.0
    for k in range(n_cycles):
        f = 1.0 + drift * k / max(1, n_cycles - 1)
        entries = paced_entries(task, gold, rng, (0.8 * f, 1.2 * f), (0.2, 1.0))
        kind, defect = "correct", None
        if 0 < k < n_cycles - 1 and rng.random() < defect_share:
            defect = defects[int(rng.integers(len(defects)))]
            kind = defect.kind
            entries = apply_defect(entries, defect, task, gold, rng)
        cyc = _shift(realize(entries, gold, lead_in=0.0, tail=0.0), t)
        devs = expected_deviations(defect, cyc, names) if defect else []
        truth.append(_truth(k, cyc, kind, devs, 0.0))
        segs += cyc
        gap = float(rng.uniform(*CHANGEOVER_SEC))
        segs.append(Segment(cyc[-1].end_sec, cyc[-1].end_sec + gap, "changeover", None, None))
        t = cyc[-1].end_sec + gap
    first, last = truth[0], truth[-1]
    skip = first["start_sec"] + float(rng.uniform(*PARTIAL_CUT)) * (first["end_sec"] - first["start_sec"])
    stop = last["end_sec"] - float(rng.uniform(*PARTIAL_CUT)) * (last["end_sec"] - last["start_sec"])
    segs = [s for s in segs if s.start_sec < stop]
    segs[-1] = replace(segs[-1], end_sec=stop)
    for c in truth:
        c["start_sec"], c["end_sec"] = round(c["start_sec"] - skip, 3), round(c["end_sec"] - skip, 3)
        for d in c["deviations"]:
            if d.get("trainee_time"):
                d["trainee_time"] = {k: round(v - skip, 3) for k, v in d["trainee_time"].items()}
    first["start_sec"], first["partial"] = 0.0, True
    last["end_sec"], last["partial"] = round(stop - skip, 3), True
    return segs, truth, skip, stop


def generate_shift(out_dir: str | Path, seed: int = 0, cycles: tuple[int, int] = (10, 50), recordings: int = 1,
                   quick: bool = True, tasks: tuple[int, ...] = (0, 1), defect_share: float = 0.3) -> dict:
    """Render golds and shift recordings into ``out_dir``; returns (and writes) shift_manifest.json.
    cycles: (min, max) cycles per recording, drawn per recording; quick: small frames (320-480 px
    wide), 5 steps per task; tasks: indices into the demo's tasks."""
    out = Path(out_dir)
    specs = all_tasks()
    man = {"seed": seed, "quick": quick, "tasks": {}, "recordings": []}
    for ti in tasks:
        task = specs[ti] if not quick else replace(specs[ti], steps=specs[ti].steps[:5])
        task = dress_station(task, seed, ti)
        rng = np.random.default_rng([seed, ti, 500])
        gold = gold_durations(task, rng, quick)
        size = QUICK_RESOLUTIONS[-1] if quick else RESOLUTIONS[-1]
        glook = gold_look(size, 30, "h264", int(rng.integers(2**31)))
        folder = out / task.key
        folder.mkdir(parents=True, exist_ok=True)
        gsegs = realize(canonical_entries(task, gold), gold)
        gpath = render_performance(folder / "gold", task, gsegs, GOLD_PERFORMER, glook)["path"]
        steps = gold_steps(task, gsegs)
        Path(gpath).with_suffix(".steps.json").write_text(json.dumps({"steps": steps}, indent=2) + "\n")
        cyc = realize(canonical_entries(task, gold), gold)  # the gold performer, canonical pace, three times
        three, t = [], 0.0
        for _ in range(3):
            three += _shift(cyc, t)
            t = three[-1].end_sec
        cpath = render_performance(folder / "gold_x3", task, three, GOLD_PERFORMER, glook)["path"]
        man["tasks"][task.key] = {"gold": Path(gpath).relative_to(out).as_posix(), "steps": steps,
                                  "gold_cyclic": Path(cpath).relative_to(out).as_posix(), "gold_cyclic_cycles": 3}
        for r in range(recordings):
            vr = np.random.default_rng([seed, ti, 600 + r])
            n = int(vr.integers(cycles[0], cycles[1] + 1))
            segs, truth, skip, stop = shift_timeline(task, gold, vr, n, defect_share)
            look = random_look(vr, QUICK_RESOLUTIONS[0] if quick else RESOLUTIONS[0], 24, "h264", duration=stop)
            perf = random_performer(vr, f"shift-performer-{ti}-{r}")
            info = render_performance(folder / f"shift_{r}", task, segs, perf, look, skip_sec=skip)
            man["recordings"].append({"task": task.key, "path": Path(info["path"]).relative_to(out).as_posix(),
                                      "cycles": truth, "duration_sec": info["duration_sec"], "look": look.to_dict()})
    (out / "shift_manifest.json").write_text(json.dumps(man, indent=2) + "\n")
    return man
