"""Probe (not part of the engine; not adopted): two ways to find a gold's steps without a step
file that would not split long steps into their moves.

    .venv/bin/python benchmarks/probe_step_scale.py --out bench_out/acc3 --seeds 0,1,3,5,19,21 [--long]

``detect_steps`` cuts a gold where the clips' novelty (Foote, a 2 s kernel, steps at least 2 s)
peaks. The demo's steps last 2.5-5.5 s; a gold whose steps last 20 s (``bench_score.py``'s
120 s footage, ``--long``: its gold and its 30 s one, their true steps from
``long_videos.gold_steps_file``) is cut into 22 steps for 6, and its correct trainee fails.
Two remedies measured here, boundary by boundary against the step files (a true boundary,
the middle of the gap between two true steps, is found when a detected one lies within 1 s,
or 5 % of the median true step on long footage):

- **kernel width**: the novelty at 2, 3, 4, 6 and 8 s (the shortest step = the kernel), and
  the width chosen per gold where adjacent detected steps differ most (mean within-step
  cosine minus mean cross-step cosine of the centred, normalised clip vectors, over adjacent
  pairs);
- **merge changeless steps** (fixed cameras; ``--merge``): a detected step whose settled scene
  shows no change of its own (``scene.regions.gold_changes`` at 320 px gives it no region)
  merged into the next one (the last into the one before), until every step has one.

Printed per gold: found / true boundaries and right / detected ones, per width and merged;
then the totals.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_seeds_args, embeddings_on_disk, load_set  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scoring.steps import detect_steps, find_sidecar, load_steps  # noqa: E402

WIDTHS = (2.0, 3.0, 4.0, 6.0, 8.0)


def boundaries(det: list[tuple[float, float]], truth: list[tuple[float, float]]) -> np.ndarray:
    """(found true boundaries, true boundaries, right detected ones, detected ones)."""
    tb = [(a[1] + b[0]) / 2 for a, b in zip(truth, truth[1:])]
    db = [b for _, b in det[:-1]]
    tol = max(1.0, 0.05 * float(np.median([b - a for a, b in truth])))
    return np.array([sum(any(abs(t - d) <= tol for d in db) for t in tb), len(tb),
                     sum(any(abs(t - d) <= tol for t in tb) for d in db), len(db)])


def contrast(x: np.ndarray, starts: np.ndarray, spans: list[tuple[float, float]]) -> float:
    """Mean over adjacent detected steps of within-step minus cross-step cosine; x: (N, D) unit rows."""
    segs = [np.flatnonzero((starts >= a - 1e-6) & (starts < b - 1e-6)) for a, b in spans]
    vals = [((x[p] @ x[p].T).mean() + (x[q] @ x[q].T).mean()) / 2 - (x[p] @ x[q].T).mean()
            for p, q in zip(segs, segs[1:]) if len(p) and len(q)]
    return float(np.mean(vals)) if vals else 0.0


def merged(e, spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Detected steps with no change of their own in the settled scene merged into a neighbour."""
    from sopilot_resources.scene.pictures import COARSE_SIDE, StillCache
    from sopilot_resources.scene.regions import gold_changes
    from sopilot_resources.scene.search import gold_is_fixed

    g = StillCache(e.stills, side=COARSE_SIDE)
    end, fixed, spans = float(e.stills.times[-1]), gold_is_fixed(g), list(spans)
    while len(spans) > 2:
        none = [i for i, c in enumerate(gold_changes(g, spans, end, fixed=fixed)) if c is None]
        if not none:
            break
        i = none[0]
        a, b = (i, i + 1) if i + 1 < len(spans) else (i - 1, i)
        spans[a:b + 1] = [(spans[a][0], spans[b][1])]
    return spans


def one_gold(e, truth: list[tuple[float, float]], merge: bool) -> dict:
    x = e.vectors - e.vectors.mean(0, keepdims=True)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
    out, best = {}, None
    for w in WIDTHS:
        spans = [(s.start_sec, s.end_sec) for s in detect_steps(e.vectors, e.starts, e.ends, min_step_sec=w, kernel_sec=w)]
        out[f"{w:g} s"] = boundaries(spans, truth)
        c = contrast(x, np.asarray(e.starts), spans)
        if best is None or c > best[0]:
            best = (c, w, out[f"{w:g} s"])
    out["chosen"] = best[2]
    if merge:
        spans = [(s.start_sec, s.end_sec) for s in detect_steps(e.vectors, e.starts, e.ends)]
        out["2 s, where merged"] = out["2 s"]
        out["merged"] = boundaries(merged(e, spans), truth)
    return out


def golds(a, emb):
    """(label, embeddings, true spans, merge?) of every gold asked for."""
    if a.long:
        from bench_score import footage_pair
        from long_videos import gold_steps_file

        from sopilot_resources.ingest import ingest_video

        for seconds in (30, 120):
            gold, _ = footage_pair(f"{seconds}x720")
            truth = [(s.start_sec, s.end_sec) for s in load_steps(gold_steps_file(gold, seconds, float(seconds)))]
            yield gold.name, ingest_video(gold, emb), truth, a.merge
    for seed in [int(s) for s in a.seeds.split(",")] if a.seeds else []:
        root, manifest = load_set(a.out, seed, False)
        for v in manifest["videos"]:
            if v["role"] == "gold":
                truth = [(s.start_sec, s.end_sec) for s in load_steps(find_sidecar(root / v["path"]))]
                yield f"seed {seed} {v['task']}", embeddings_on_disk(root, v["path"], emb), truth, \
                    a.merge and manifest["tasks"][v["task"]]["camera"] == "fixed"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_seeds_args(ap)
    ap.set_defaults(seeds="")
    ap.add_argument("--long", action="store_true", help="also bench_score.py's 30 s and 120 s 720p golds")
    ap.add_argument("--merge", action="store_true", help="also merge changeless detected steps (fixed cameras)")
    a = ap.parse_args()
    emb = get_embedder("color-motion")
    total: dict[str, np.ndarray] = {}
    for label, e, truth, merge in golds(a, emb):
        got = one_gold(e, truth, merge)
        print(f"{label} ({len(truth)} true steps): " + ", ".join(f"{k} {v[0]}/{v[1]} found, {v[2]}/{v[3]} right"
                                                               for k, v in got.items()), flush=True)
        for k, v in got.items():
            total[k] = total.get(k, 0) + v
    for k, v in total.items():
        print(f"total {k}: recall {v[0]}/{v[1]} ({v[0] / max(v[1], 1):.2f}), precision {v[2]}/{v[3]} ({v[2] / max(v[3], 1):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
