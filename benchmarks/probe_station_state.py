"""Probe (not part of the engine; not adopted): a station-state check for a moving camera.

    .venv/bin/python benchmarks/probe_station_state.py --out bench_out/acc3 --task t02_pump_line --seeds 0,1

For each correct, missing and wrong trainee of the task, per gold step: the gold's station view
just after the step (its settled "after" window) and the view when the camera arrived there
(the first moment in the step at that station, and the next one: two estimates of the step's
change, their consistent region); the trainee's view when its camera last stood at that
station (``station_dwell``), registered onto the gold's. Printed per step: agreement / size of
the trainee's view minus the gold's "after" with the change undone (as the end-state check
measures; ``*`` marks the defect's step), and the region's size in px. docs/bench/accuracy.md,
"End-state default round": correct steps read 0.0-0.9, so this does not separate.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import embeddings_on_disk, load_set
from sopilot_resources.embedders.registry import get_embedder
from sopilot_resources.scoring.build_pair import build_evidence
from sopilot_resources.scoring.profile import Profile
from sopilot_resources.scoring.steps import find_sidecar, load_steps
from sopilot_resources.scene.pictures import StillCache, flatten_light, match_colours, COARSE_SIDE
from sopilot_resources.scene.regions import consistent_region, correlation, windows
from sopilot_resources.scene.register import register, view
from sopilot_resources.scene.settle import settled
from sopilot_resources.scene.stations import at_station

def sample(c, t, h=0.5):
    return settled(c.window(t - h, t + h))

def station_times(c, ref_v, t0, t1, step=0.5):
    ts = np.arange(t0, t1 + 1e-6, step)
    return [float(x) for x in ts if at_station(ref_v, view(sample(c, x)))]

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--out", default="bench_out/acc3")
ap.add_argument("--task", default="t02_pump_line")
ap.add_argument("--seeds", default="0,1")
a = ap.parse_args()
task = a.task
for seed in map(int, a.seeds.split(",")):
    root, manifest = load_set(a.out, seed, False)
    emb = get_embedder("color-motion")
    golds = {v["task"]: v for v in manifest["videos"] if v["role"] == "gold"}
    gcache = {}
    for v in manifest["videos"]:
        if v["role"] != "trainee" or v["task"] != task or v["kind"] not in ("correct", "missing", "wrong"):
            continue
        gv = golds[v["task"]]
        steps = load_steps(find_sidecar(root / gv["path"]))
        ge, te = embeddings_on_disk(root, gv["path"], emb), embeddings_on_disk(root, v["path"], emb)
        pe, _ = build_evidence(ge, te, steps, Profile())
        spans = [(s.start_sec, s.end_sec) for s in steps]
        g = StillCache(ge.stills, side=COARSE_SIDE); t = StillCache(te.stills, size=g.size)
        end = float(ge.stills.times[-1])
        if gv["path"] not in gcache:
            per = []
            for s, (a, b) in enumerate(spans):
                after = settled(g.window(*windows(spans, s, end)[1]))
                rv = view(after)
                at = station_times(g, rv, a - 0.5, b)
                if len(at) < 2:
                    per.append(None); continue
                before = sample(g, at[0])
                before2 = sample(g, at[min(1, len(at) - 1)])
                r1, r2 = register(rv, before), register(rv, before2)
                if not r1.ok:
                    per.append(None); continue
                fa = flatten_light(after)
                d1 = fa - flatten_light(match_colours(r1.apply(before, g.size), after))
                d2 = fa - flatten_light(match_colours((r2 if r2.ok else r1).apply(before2, g.size), after)) if len(at) > 1 else d1
                region = consistent_region(d1, d2)
                per.append((after, rv, fa, d1, region, at[0], at[-1]))
            gcache[gv["path"]] = per
        per = gcache[gv["path"]]
        sd = pe.scene.station_dwell(0.0) if pe.scene is not None else None
        at_defect = [d.get("gold_step") for d in v.get("deviations", [])]
        cells = []
        for s, p in enumerate(per):
            if p is None or p[4].sum() < 6:
                cells.append(f"{s}:-"); continue
            after, rv, fa, d1, region, f0, f1 = p
            # trainee: last time at this station (from the dwell), else search near the aligned time
            last = None
            if sd is not None and np.isfinite(sd.when[s]).all():
                last = float(sd.when[s][1])
            if last is None:
                cells.append(f"{s}{'*' if s in at_defect else ''}:nost"); continue
            tr = sample(t, last)
            reg = register(rv, tr)
            if not reg.ok:
                cells.append(f"{s}{'*' if s in at_defect else ''}:noreg"); continue
            ft = flatten_light(match_colours(reg.apply(tr, g.size), after))
            ys, xs = np.nonzero(region)
            diff = ft[ys, xs] - fa[ys, xs]; undo = -d1[ys, xs]
            ok = np.isfinite(diff).all(-1) & np.isfinite(undo).all(-1)
            if ok.sum() < 6:
                cells.append(f"{s}{'*' if s in at_defect else ''}:unseen"); continue
            agree = correlation(diff[ok].ravel(), undo[ok].ravel()); size = np.linalg.norm(diff[ok]) / (np.linalg.norm(undo[ok]) + 1e-6)
            cells.append(f"{s}{'*' if s in at_defect else ''}:{agree:.2f}/{size:.2f}({int(region.sum())})")
        print(seed, v["path"].split("/")[-1], v["kind"], " ".join(cells), flush=True)
