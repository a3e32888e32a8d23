"""Probe (not part of the engine): how often a gold step's region pixels look as on the
step's other side again (docs/scene.md item 4, "Never back"; docs/bench/accuracy.md,
"Never-back round").

    .venv/bin/python benchmarks/probe_region_back.py --out bench_out/acc3 --seed 7 --task t01_valve \
        --step 3 [--level pictures]

The step's region as the lasting check made it before ``BACK`` (the never-back test off),
split into the pixels whose second estimate came from the moment right after the step
(``second_estimate``'s fill) and the others; per pixel, the larger of the share of the gold's
stills (one a second) after the step that look like its "before" and the share before it that
look like its "after" (within a third of the change: ``looks_like``). Printed: each part's
size and histogram, and how many pass ``BACK`` and ``BACK_NEAR``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import embeddings_on_disk, load_set  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scene import regions  # noqa: E402
from sopilot_resources.scene.lasting import BACK, BACK_NEAR, PERSIST_STRIDE, looks_like  # noqa: E402
from sopilot_resources.scene.pictures import COARSE_SIDE, StillCache, flat_at, flatten_light  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402


def _region(g, spans, end, s, fill: bool):
    keep = regions.BACK, regions.BACK_NEAR, regions.second_estimate
    regions.BACK = regions.BACK_NEAR = 1.0  # the never-back test off
    real = keep[2]
    regions.second_estimate = lambda *a, **k: real(*a, **{**k, "fill": k.get("fill", True) and fill})
    try:
        c = regions.gold_changes(g, spans, end, fixed=True)[s]
    finally:
        regions.BACK, regions.BACK_NEAR, regions.second_estimate = keep
    return np.zeros(g.size[::-1], bool) if c is None else c.region


def probe(out: str, seed: int, task: str, s: int, level: str) -> None:
    root, manifest = load_set(out, seed, False)
    gold = next(v for v in manifest["videos"] if v["role"] == "gold" and v["task"] == task)
    steps = load_steps(find_sidecar(root / gold["path"]))
    stills = embeddings_on_disk(root, gold["path"], get_embedder("color-motion")).stills
    g = StillCache(stills, side=COARSE_SIDE) if level == "pictures" else StillCache(stills)
    spans = [(x.start_sec, x.end_sec) for x in steps]
    end = float(stills.times[-1])
    region = _region(g, spans, end, s, True)
    filled = region & ~_region(g, spans, end, s, False)
    g0, g1 = regions.gold_change(g, spans, s, end)
    f0, f1 = flatten_light(g0), flatten_light(g1)
    ys, xs = np.nonzero(region)
    times = stills.times
    idx = np.unique(np.searchsorted(times, np.arange(float(times[0]), float(times[-1]) + 1e-6, PERSIST_STRIDE)))
    idx = idx[idx < len(times)]
    flat = flat_at(g, idx, region)
    before, after = f0[ys, xs], f1[ys, xs]
    t = times[idx]
    back = looks_like(flat[t >= spans[s][1]], before, after) / max(int((t >= spans[s][1]).sum()), 1)
    ahead = looks_like(flat[t <= spans[s][0]], after, before) / max(int((t <= spans[s][0]).sum()), 1)
    worst = np.maximum(back, ahead)
    was_filled = filled[ys, xs]
    print(f"seed {seed} {task} step {s} ({steps[s].name}) {level}: {len(ys)} px before the never-back test")
    for name, sel in (("second estimate of its own", ~was_filled), ("filled from right after the step", was_filled)):
        if sel.any():
            hist = np.histogram(worst[sel], bins=[0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.01])[0]
            n_back, n_near = (int((worst[sel] <= t).sum()) for t in (BACK, BACK_NEAR))
            print(f"  {name}: {int(sel.sum())} px; max(back, ahead) in [0,.05,.1,.2,.3,.5,1]: {hist.tolist()}; "
                  f"<= BACK {n_back}, <= BACK_NEAR {n_near}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench_out/accuracy")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--task", default="t01_valve")
    ap.add_argument("--step", type=int, default=3)
    ap.add_argument("--level", choices=("detail", "pictures"), default="detail")
    a = ap.parse_args()
    probe(a.out, a.seed, a.task, a.step, a.level)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
