"""Probe (not part of the engine): where a set's verdicts go wrong, counted by what the engine
saw, from the results ``bench_accuracy.py`` wrote (nothing is scored again).

    .venv/bin/python benchmarks/probe_failure_census.py --out bench_out/acc3 --tag base --seeds 25,27,29 [--detected-steps]

Two tables, pooled over the seeds:

1. every deviation reported on a **correct** video (each one false), by type, by what found it
   (``scene``: it carries pictures' evidence; ``clips``: the clips alone), by where its gold
   step sits (the gold's first step, its last, or an inner one), and by what the gold shows
   at that step (its change at the comparison's pictures: ``none``, no reliable change;
   ``unchecked``, a change that could not be checked to last, i.e. the first and last steps or
   a moving camera; ``lasts``);
2. every **defective** video that passes, by defect kind and camera style, with what the gold
   shows at the defect's step the same way (with detected steps, at the detected step that
   overlaps the true one most).

The gold's changes are the engine's own (``SceneEvidence.changes`` at the coarsest level, a
gold scored against itself: they depend on the gold alone). docs/bench/accuracy.md, "Stop 41".
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy_pool import results_path  # noqa: E402
from bench_accuracy import embeddings_on_disk, load_set, true_step_of  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scoring.build_pair import build_evidence  # noqa: E402
from sopilot_resources.scoring.profile import Profile  # noqa: E402
from sopilot_resources.scoring.steps import detect_steps, find_sidecar, load_steps  # noqa: E402


def gold_states(root: Path, gold: dict, detected: bool) -> tuple[list[str], dict[int, int]]:
    """Per gold step (the step file's, or those detected): ``none`` / ``unchecked`` / ``lasts``
    (module docstring); and detected step -> true step (identity with step files)."""
    emb = get_embedder("color-motion")
    e = embeddings_on_disk(root, gold["path"], emb)
    truth = load_steps(find_sidecar(root / gold["path"]))
    steps = detect_steps(e.vectors, e.starts, e.ends) if detected else truth
    pe, _ = build_evidence(e, e, steps, Profile())
    if pe.scene is None or not pe.scene.usable:
        return ["none"] * len(steps), true_step_of(steps, truth)
    got = pe.scene.levels[-1].change(list(range(len(steps))))
    states = ["none" if got[s] is None else "lasts" if got[s].lasts else "unchecked" for s in range(len(steps))]
    return states, true_step_of(steps, truth)


def place(s: int | None, n: int) -> str:
    return "none" if s is None else "first" if s == 0 else "last" if s == n - 1 else "inner"


def census(out: str, seeds: list[int], tag: str, detected: bool) -> tuple[Counter, Counter, list[str]]:
    false, passed, lines = Counter(), Counter(), []
    for seed in seeds:
        root, manifest = load_set(out, seed, False)
        rows = json.loads(results_path(out, seed, tag, detected).read_text())["rows"]
        golds = {v["task"]: v for v in manifest["videos"] if v["role"] == "gold"}
        gold_of = {t: gold_states(root, g, detected) for t, g in golds.items()}
        for r in rows:
            states, to_true = gold_of[r["task"]]
            n = len(states)
            if r["kind"] == "correct":
                scene = {tuple(x) for x in r["scene"]}
                for t, s in map(tuple, r["found"]):
                    key = (t, "scene" if (t, s) in scene else "clips", place(s, n), "-" if s is None else states[s])
                    false[key] += 1
                    lines.append(f"seed {seed} {r['path']}: {t} at {s} ({key[1]}, {key[2]}, gold {key[3]})")
            elif r["kind"] != "unrelated" and r["verdict"] == "pass":
                k = r["expected"][0][1]
                s = next((d for d, t in to_true.items() if t == k), None) if detected else k
                passed[(r["kind"], r["style"], "-" if s is None or s >= n else states[s])] += 1
    return false, passed, lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench_out/acc3")
    ap.add_argument("--tag", default="")
    ap.add_argument("--seeds", required=True)
    ap.add_argument("--detected-steps", action="store_true")
    ap.add_argument("--lines", action="store_true", help="also print every false deviation")
    a = ap.parse_args()
    false, passed, lines = census(a.out, [int(x) for x in a.seeds.split(",")], a.tag, a.detected_steps)
    print(f"false deviations on correct videos: {sum(false.values())}")
    for by, idx in (("type", 0), ("found by", 1), ("gold step", 2), ("gold shows", 3)):
        c = Counter()
        for k, v in false.items():
            c[k[idx]] += v
        print(f"  by {by}: " + ", ".join(f"{k} {v}" for k, v in c.most_common()))
    both = Counter()
    for k, v in false.items():
        both[f"{k[1]} at {k[2]}"] += v
    print("  by found by and gold step: " + ", ".join(f"{k} {v}" for k, v in both.most_common()))
    print(f"defective videos passing: {sum(passed.values())}")
    for by, idx in (("kind", 0), ("style", 1), ("gold shows at the defect's step", 2)):
        c = Counter()
        for k, v in passed.items():
            c[k[idx]] += v
        print(f"  by {by}: " + ", ".join(f"{k} {v}" for k, v in c.most_common()))
    if a.lines:
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
