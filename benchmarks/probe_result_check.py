"""Probe (not part of the engine): how well is each gold step's lasting change found in the
trainee's pictures, by what the trainee really did at that step?

    .venv/bin/python benchmarks/probe_result_check.py --out bench_out/acc3 --seed 0 [--task t03_bracket]

For every trainee of the fixed-camera tasks of a demo set (step files beside the gold, as
``bench_accuracy``), each gold step whose change lasts (``GoldChange.lasts``, the regions of
``scene.regions.lasting``) is searched for over the trainee's video at every level of pictures
(``SceneEvidence.made_anywhere``), and its best agreement printed under what the set's
manifest says the trainee did there: ``done`` (the step, done right), ``wrong`` (done
wrongly) or ``missing``; a ``*`` marks a step the clips did not find. The result check
(``scoring/detect_result.py``) flags a step found by the clips below NOT_FOUND (0.5) at every
level: the threshold comes from this probe on seed 0, 1 and 9 (docs/bench/accuracy.md,
"Result round").
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_set_args, embeddings_on_disk, load_set  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scoring import engine  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    add_set_args(ap)
    ap.add_argument("--task", default="", help="one task (default: every fixed-camera task)")
    a = ap.parse_args()
    root, manifest = load_set(a.out, a.seed, a.quick)
    emb = get_embedder("color-motion")
    seen: dict = {}
    chain = engine.scene_deviations

    def spy(pe, status, devs):
        sc = pe.scene
        seen.clear()
        if sc is not None and sc.usable:
            n = len(pe.steps)
            lasting = {s for lv in sc.levels for s in sc.lasting_changes(list(range(n)), lv.name)}
            spans = {s: (pe.steps[s].start_sec, pe.steps[s].end_sec) for s in lasting}
            for s, found in sc.made_anywhere(spans).items():
                seen[s] = (max((m[0] for m in found), default=float("nan")), bool(status[s].found))
        return chain(pe, status, devs)

    engine.scene_deviations = spy
    table: dict = defaultdict(lambda: defaultdict(list))
    golds = [v for v in manifest["videos"] if v["role"] == "gold" and v.get("camera") == "fixed"
             and (not a.task or v["task"] == a.task)]
    for gold in golds:
        ge = embeddings_on_disk(root, gold["path"], emb)
        steps = load_steps(find_sidecar(root / gold["path"]))
        for v in manifest["videos"]:
            if v["role"] != "trainee" or v["task"] != gold["task"] or v["kind"] == "unrelated":
                continue
            engine.score_embeddings(ge, embeddings_on_disk(root, v["path"], emb), steps)
            roles = defaultdict(list)
            for x in v.get("steps", []):
                if x["gold_step"] is not None:
                    roles[x["gold_step"]].append(x.get("role", "step"))
            for s, (agree, found) in seen.items():
                label = "missing" if not roles[s] else ("wrong" if "wrong" in roles[s] else "done")
                table[(gold["task"], s)][label].append((agree, found))
    for (task, s), by in sorted(table.items()):
        print(f"{task} step {s + 1}")
        for label in ("done", "wrong", "missing"):
            vals = sorted(by.get(label, []), key=lambda x: -np.nan_to_num(x[0], nan=-9))
            print(f"  {label:8s} " + " ".join(f"{x:.2f}{'' if f else '*'}" for x, f in vals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
