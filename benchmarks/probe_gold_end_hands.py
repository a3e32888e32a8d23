"""Probe (not part of the engine): do the demo videos end with the performer still in view?

    .venv/bin/python benchmarks/probe_gold_end_hands.py --out bench_out/acc3 --seeds 0,1,3,5,19,21,23 [--montage PNG]

The end-state check and the outcome compare the two videos' end scenes (the settled last
``EDGE_SEC`` s: what moved there is left out, what rests stays). A performer whose arm rests
over the work area when the video ends is in that scene. Per fixed-camera gold and its
trainees this prints the share of the end scene at 320 px that the settling leaves unseen
(the performer moved there in every still of the window) and the share that differs from the
video's own start scene by more than 8 times its typical difference in a blob reaching the
picture's border (an arm coming in from outside the view; the start scene has no performer
in these videos). ``--montage``: the last still of every gold, a row per seed, to look at.
docs/bench/accuracy.md, "Stop 39".
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_seeds_args, embeddings_on_disk, seed_sets  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scene.outcome import EDGE_SEC  # noqa: E402
from sopilot_resources.scene.pictures import StillCache  # noqa: E402
from sopilot_resources.scene.regions import BORDER  # noqa: E402
from sopilot_resources.scene.settle import settled  # noqa: E402

FIXED = ("t01_valve", "t03_bracket", "t04_terminals")


def end_shares(stills) -> tuple[float, float]:
    """(unseen share, border-blob share) of a video's settled end scene at 320 px."""
    c = StillCache(stills, side=320)
    t0, t1 = float(stills.times[0]), float(stills.times[-1])
    start, end = settled(c.window(t0, t0 + EDGE_SEC)), settled(c.window(t1 - EDGE_SEC, t1))
    unseen = np.isnan(end).any(-1)
    d = np.nan_to_num(np.abs(end - start).sum(-1))
    cand = ((d > 8.0 * max(float(np.median(d)), 1.0)) | unseen).astype(np.uint8)
    h, w = cand.shape
    m = max(1, int(round(BORDER * h)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cand, connectivity=8)
    touch = [k for k in range(1, n) if stats[k, 0] < m or stats[k, 1] < m
             or stats[k, 0] + stats[k, 2] > w - m or stats[k, 1] + stats[k, 3] > h - m]
    return float(unseen.mean()), float(np.isin(labels, touch).mean())


def main() -> int:
    ap = argparse.ArgumentParser()
    add_seeds_args(ap)
    ap.add_argument("--montage", default="", help="write the golds' last stills here (PNG)")
    a = ap.parse_args()
    emb = get_embedder("color-motion")
    rows, shares = [], {"gold": [], "trainee": []}
    for seed, root, manifest in seed_sets(a):
        row = []
        for task in FIXED:
            for v in (x for x in manifest["videos"] if x["task"] == task and x["kind"] != "unrelated"):
                e = embeddings_on_disk(root, v["path"], emb)
                got = end_shares(e.stills)
                shares["gold" if v["role"] == "gold" else "trainee"].append(got)
                if v["role"] == "gold":
                    print(f"seed {seed} {task:14s} gold end: unseen {got[0]:.3f}, border blob {got[1]:.3f}")
                    row.append(StillCache(e.stills, size=(240, 135)).get(len(e.stills.times) - 1).astype(np.uint8))
        rows.append(np.concatenate(row, 1))
    for who, got in shares.items():
        x = np.array(got)
        print(f"{who:8s} {len(x):4d} videos: unseen median {np.median(x[:, 0]):.3f}, border blob median "
              f"{np.median(x[:, 1]):.3f}, videos with a border blob over 2 % of the picture: {int((x[:, 1] > 0.02).sum())}")
    if a.montage:
        cv2.imwrite(a.montage, cv2.cvtColor(np.concatenate(rows, 0), cv2.COLOR_RGB2BGR))
    return 0


if __name__ == "__main__":
    sys.exit(main())
