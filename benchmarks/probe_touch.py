"""Probe (not part of the engine; not adopted): was a step the end-state check reports worked on?

    .venv/bin/python benchmarks/probe_touch.py --out bench_out/acc3 --seeds 0,3,9,15

For every ``wrong_step`` the end-state check gives (fixed-camera tasks), the share of the
trainee's stills within the step the clips located in which the step's region (at 320 px,
registered with the end scene's warp) differs from the trainee's own end scene by more than 4
of the pair's noise units over at least 30 % of its pixels: the hand over it, or the place not
yet as it ends. Printed with the truth, to see whether "left out" (the hand never went there)
can be told from "done wrongly". docs/bench/accuracy.md, "End-state default round": it cannot.
"""
import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import embeddings_on_disk, load_set
from sopilot_resources.embedders.registry import get_embedder
from sopilot_resources.scoring.build_pair import build_evidence
from sopilot_resources.scoring.profile import Profile
from sopilot_resources.scoring.steps import find_sidecar, load_steps
from sopilot_resources.scoring import engine
from sopilot_resources.scene.pictures import COARSE_SIDE, StillCache, flatten_light, region_box
from sopilot_resources.scene.register import crop_warp

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--out", default="bench_out/acc3")
ap.add_argument("--seeds", default="0,3")
a = ap.parse_args()
for seed in map(int, a.seeds.split(",")):
    root, manifest = load_set(a.out, seed, False)
    emb = get_embedder("color-motion")
    golds = {v["task"]: v for v in manifest["videos"] if v["role"] == "gold"}
    for v in manifest["videos"]:
        if v["role"] != "trainee" or v["kind"] in ("unrelated",) or v["task"] == "t02_pump_line":
            continue
        gv = golds[v["task"]]
        steps = load_steps(find_sidecar(root / gv["path"]))
        ge, te = embeddings_on_disk(root, gv["path"], emb), embeddings_on_disk(root, v["path"], emb)
        pe, _ = build_evidence(ge, te, steps, Profile())
        res = engine.detect(pe)
        es = [d for d in res.deviations if d.evidence and d.evidence.get("finding") == "the step's result is not in the trainee's end scene"]
        if not es:
            continue
        sc = pe.scene; out = sc.outcome
        g = StillCache(ge.stills, side=COARSE_SIDE); t = StillCache(te.stills, size=g.size)
        fgf, ftf = out.ends
        for d in es:
            s = d.gold_step
            region = sc.lasting_changes([s], "pictures").get(s)
            if region is None:
                # detail-only: scale the detail region down
                r = sc.lasting_changes([s], d.evidence["levels"][0]["level"])[s].region
                region = cv2.resize(r.astype(np.uint8), (g.size[0], g.size[1]), interpolation=cv2.INTER_AREA) > 0
            else:
                region = region.region
            if region.sum() == 0:
                continue
            box = region_box([region], region.shape); x0, y0, x1, y1 = box
            m = region[y0:y1, x0:x1]; endc = ftf[y0:y1, x0:x1]
            tt = d.trainee_time
            t0, t1 = tt["start_sec"], tt["end_sec"]
            idx = te.stills.between(t0, t1)
            diffs = []
            for i in idx:
                f = flatten_light(crop_warp(out.warp, t.get(int(i)), box))
                dd = np.abs(f - endc).sum(-1)[m]
                dd = dd[np.isfinite(dd)]
                diffs.append(float(np.mean(dd > 4 * out.noise)) if dd.size else np.nan)
            diffs = np.array(diffs)
            touched = float(np.nanmean(diffs > 0.3)) if len(diffs) else float("nan")
            truth = [(x["type"], x.get("gold_step")) for x in v.get("deviations", [])]
            print(seed, v["path"].split("/")[-1], v["kind"], "step", s, "truth", truth, f"touched {touched:.2f}", "per-still", np.round(diffs, 2).tolist(), flush=True)
