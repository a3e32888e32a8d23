"""Probe (not part of the engine): where the clips' deviations go wrong when the gold's steps are
detected (no step file), and how well the detected boundaries match the true ones.

    .venv/bin/python benchmarks/probe_detected_faults.py --out bench_out/acc3 --seeds 0,1,3,5,19,21 [--boundaries-only]

Prints (1) the detected boundaries against the step files', pooled over every gold of the
seeds (within 1 s, as ``bench_accuracy.boundary_match`` counts them per set), and (2) every
clips-only ``missing_step`` / ``wrong_step`` left in a result (no scene evidence), with the
true step its detected step overlaps most, whether it is the gold's first or last detected
step, and the gold's change at that step per level of pictures (lasts, reliability, region
px; None: no reliable change), labelled ``correct`` (a false deviation), ``true`` (the
defect, at its step) or ``other``. docs/bench/accuracy.md, "Stop 39".
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import (add_seeds_args, boundary_hits, embeddings_on_disk, load_set, seeds_of,  # noqa: E402
                            true_step_of)

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scoring import engine  # noqa: E402
from sopilot_resources.scoring.steps import detect_steps, find_sidecar, load_steps  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    add_seeds_args(ap)
    ap.add_argument("--boundaries-only", action="store_true", help="(1) only: no scoring")
    a = ap.parse_args()
    emb = get_embedder("color-motion")
    seen: dict = {}
    real = engine.scene_deviations

    def keep(pe, status, devs):
        seen["pe"] = pe
        return real(pe, status, devs)

    engine.scene_deviations = keep
    tally, where = [0, 0, 0], Counter()
    for seed in seeds_of(a):
        root, manifest = load_set(a.out, seed, False)
        for gold in (v for v in manifest["videos"] if v["role"] == "gold"):
            ge = embeddings_on_disk(root, gold["path"], emb)
            truth = load_steps(find_sidecar(root / gold["path"]))
            det = detect_steps(ge.vectors, ge.starts, ge.ends)
            tally = [x + y for x, y in zip(tally, boundary_hits([d.end_sec for d in det[:-1]], truth))]
            to_true = true_step_of(det, truth)
            for v in [] if a.boundaries_only else manifest["videos"]:
                if v["role"] != "trainee" or v["task"] != gold["task"] or v["kind"] == "unrelated":
                    continue
                res = engine.score_embeddings(ge, embeddings_on_disk(root, v["path"], emb), None)
                scene = seen["pe"].scene
                for d in res.deviations:
                    if d.type not in ("missing_step", "wrong_step") or d.evidence is not None or d.gold_step is None:
                        continue
                    s, defects = d.gold_step, [(x["type"], x["gold_step"]) for x in v.get("deviations", [])]
                    label = ("correct" if v["kind"] == "correct" else
                             "true" if any(t in ("missing_step", "wrong_step") and k == to_true[s] for t, k in defects)
                             else "other")
                    edge = s in (0, len(det) - 1)
                    change = {}
                    if scene is not None and scene.usable:
                        for lv in scene.levels:
                            c = lv.change([s]).get(s)
                            change[lv.name] = None if c is None else (bool(c.lasts), round(c.reliability, 2),
                                                                       int(c.region.sum()))
                    where[label, "first/last" if edge else "inner",
                          "no change" if not any(change.values()) else
                          "not checked to last" if not any(c[0] for c in change.values() if c) else "lasts"] += 1
                    print(f"{label:8s} seed {seed:<2} {v['path'].split('/')[-1][:36]:36s} {d.type:12s} detected "
                          f"{s} -> true {to_true[s]}{' (first/last)' if edge else ''} conf {d.confidence:.2f} {change}")
    print(f"boundaries: recall {tally[0] / max(1, tally[1]):.3f} precision {tally[0] / max(1, tally[2]):.3f} "
          f"({tally[0]} of {tally[1]} true, {tally[2]} detected)")
    for key, n in sorted(where.items()):
        print(" ", " / ".join(key), n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
