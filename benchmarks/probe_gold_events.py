"""Probe (not part of the engine): could a gold's pictures say where its steps end?

Each lasting change of a fixed-camera gold (its settled start scene against its settled end
scene, as :mod:`sopilot_resources.scene.outcome` takes a video's own change: over
``CHANGED_K`` units of its own noise, components of at least ``MIN_AREA`` px away from the
border) is timed where its region took its end look (``outcome.change_times``). Printed per
gold: the true steps (the step file), the changes' (middle of the timing span s, span width s,
area px), how many fall in each true step (0.5 s of slack) and the boundaries ``detect_steps``
finds from the clips. docs/bench/accuracy.md, "Stop 47".

    python benchmarks/probe_gold_events.py --out bench_out/acc3 --seeds 53,1
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from sopilot_resources.embeddings import ClipEmbeddings
from sopilot_resources.scene.outcome import CHANGED_K, EDGE_SEC, MIN_AREA, _robust_scale, change_times
from sopilot_resources.scene.pictures import StillCache, flatten_light
from sopilot_resources.scene.regions import BORDER, slack_distance
from sopilot_resources.scene.settle import settled
from sopilot_resources.scoring.steps import detect_steps


def gold_events(emb: ClipEmbeddings, k: float = CHANGED_K) -> list[tuple[float, float, int]]:
    """(middle s, span width s, area px) of each lasting start-to-end change of ``emb``'s stills."""
    c = StillCache(emb.stills, side=320)
    t = c.stills.times
    end = float(t[-1])
    fi = flatten_light(settled(c.window(float(t[0]), float(t[0]) + EDGE_SEC)))
    ff = flatten_light(settled(c.window(end - EDGE_SEC, end)))
    ch = slack_distance(fi, ff)
    cand = (np.nan_to_num(ch / _robust_scale(ch)) > k).astype(np.uint8)
    cand = cv2.dilate(cv2.morphologyEx(cand, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)), np.ones((3, 3), np.uint8))
    h, w = cand.shape
    m = int(round(BORDER * h))
    n, lab, st, _ = cv2.connectedComponentsWithStats(cand, connectivity=8)
    keep = [i for i in range(1, n) if st[i, 4] >= MIN_AREA and st[i, 0] >= m and st[i, 1] >= m
            and st[i, 0] + st[i, 2] <= w - m and st[i, 1] + st[i, 3] <= h - m]
    when = change_times(c, [lab == i for i in keep], fi, ff)
    return sorted((round((x[0] + x[1]) / 2, 1), round(x[1] - x[0], 1), int(st[i, 4]))
                  for i, x in zip(keep, when) if x is not None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="bench_accuracy.py's --out (its seedN-v2 folders)")
    ap.add_argument("--seeds", required=True, help="comma-separated seeds")
    args = ap.parse_args()
    for seed in args.seeds.split(","):
        root = Path(args.out) / f"seed{seed}-v2"
        cache = sorted((root / ".emb_cache").iterdir())[0]
        for v in json.loads((root / "manifest.json").read_text())["videos"]:
            if v["role"] != "gold":
                continue
            emb = ClipEmbeddings.load(cache / (v["path"].replace("/", "__") + ".npz"))
            truth = [(s["start_sec"], s["end_sec"]) for s in v["steps"]]
            ev = gold_events(emb)
            per = [sum(1 for e in ev if a - 0.5 <= e[0] <= b + 0.5) for a, b in truth]
            det = [s.start_sec for s in detect_steps(emb.vectors, emb.starts, emb.ends)][1:]
            print(f"seed {seed} {v['task']}: true steps {[(round(a, 1), round(b, 1)) for a, b in truth]}")
            print(f"   changes (middle, width, px) {ev}")
            print(f"   per true step {per}; clips' boundaries {det}")


if __name__ == "__main__":
    main()
