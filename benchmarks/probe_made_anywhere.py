"""Probe (not part of the engine): how well the both-ways search tells a step done from one not
done, at each level of pictures (``detail``: the stills as kept, ``pictures``: the scene
comparison's 320 px), over every trainee and every gold step of a demo set.

    .venv/bin/python benchmarks/probe_made_anywhere.py --out bench_out/acc3 --seed 0 [--quick] [--task t04_terminals]

A step is *done* when the trainee performed it right (the manifest's steps), *not done* when it
is missing or is the defect of a ``wrong`` video. Prints per level and task the agreement of the
best change found (``SceneEvidence.made_anywhere``), done vs not done, and writes every row to
``<set>/made-anywhere.json``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_set_args, embeddings_on_disk, load_set  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scoring import engine  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402


def label(v: dict, s: int) -> bool:
    """True: the trainee performed gold step s right."""
    done = {x["gold_step"] for x in v.get("steps", [])}
    wrong = {d["gold_step"] for d in v.get("deviations", []) if d["type"] == "wrong_step"}
    return s in done and s not in wrong


def main() -> int:
    ap = argparse.ArgumentParser()
    add_set_args(ap)
    ap.add_argument("--task", default="")
    a = ap.parse_args()
    root, manifest = load_set(a.out, a.seed, a.quick)
    emb = get_embedder("color-motion")
    rows, seen = [], {}
    real = engine.scene_deviations

    def keep(pe, status, devs):
        seen["pe"] = pe
        return real(pe, status, devs)

    engine.scene_deviations = keep
    for gold in (v for v in manifest["videos"] if v["role"] == "gold" and a.task in v["task"]):
        ge = embeddings_on_disk(root, gold["path"], emb)
        steps = load_steps(find_sidecar(root / gold["path"]))
        for v in manifest["videos"]:
            if v["role"] != "trainee" or v["task"] != gold["task"] or v["kind"] == "unrelated":
                continue
            engine.score_embeddings(ge, embeddings_on_disk(root, v["path"], emb), steps)
            scene = seen["pe"].scene
            if scene is None or not scene.usable:
                continue
            spans = {s: (st.start_sec, st.end_sec) for s, st in enumerate(steps)}
            for s, found in scene.made_anywhere(spans).items():
                for m in found:
                    rows.append({"task": v["task"], "video": v["path"], "kind": v["kind"], "step": s,
                                 "done": label(v, s), "level": m[4], "agreement": round(m[0], 3),
                                 "size": round(m[1], 3), "seen": round(m[2], 3)})
    (root / "made-anywhere.json").write_text(json.dumps(rows, indent=1))
    for lvl in sorted({r["level"] for r in rows}):
        for task in sorted({r["task"] for r in rows}):
            sel = [r for r in rows if r["level"] == lvl and r["task"] == task]
            d = np.array([r["agreement"] for r in sel if r["done"]])
            n = np.array([r["agreement"] for r in sel if not r["done"]])
            q = (lambda x: "-" if not len(x) else
                 f"{len(x)}: min {x.min():.2f} p10 {np.quantile(x, .1):.2f} median {np.median(x):.2f}")
            print(f"{lvl:8s} {task:14s} done {q(d)} | not done {q(n)} max {n.max() if len(n) else float('nan'):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
