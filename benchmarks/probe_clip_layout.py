"""Probe (not part of the engine): does laying a fixed-camera trainee's clips out as the gold's
camera sees the work area help the clips recognise its steps?

    .venv/bin/python benchmarks/probe_clip_layout.py --out bench_out/acc3 --seed N [--detected-steps]

The "color-motion" vector is a grid of cells over the frame; a trainee camera put down
elsewhere, zoomed or rolled, moves the work to other cells. For every trainee of the set's
fixed-camera tasks (``--tasks``) the end scenes are registered as the scene comparison does
(``scene.register``: the gold's settled last 2.5 s vs the trainee's), and the trainee's clip
vectors are resampled into the gold's cells through that homography (``clip_layout_warp.py``;
bilinear between cells, each block keeping its length). Each trainee is scored twice,
as it is and laid out as the gold (scene comparison on both times), and the probe prints
every change and, per run, AUC (correct vs the rest), correct passing and defective not
passing over the tasks probed. Nothing is written but ``--json-out``.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import _step_of, add_set_args, auc, embeddings_on_disk, load_set  # noqa: E402
from clip_layout_warp import warp_vectors  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scene.pictures import StillCache  # noqa: E402
from sopilot_resources.scene.register import register  # noqa: E402
from sopilot_resources.scene.settle import settled  # noqa: E402
from sopilot_resources.scoring.engine import score_embeddings  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402

EDGE = 2.5  # seconds of settled scene at the end, as scene/outcome.py


def _found(res) -> list:
    return sorted((d.type, -1 if d.gold_step is None else d.gold_step) for d in res.deviations)


def probe(root: Path, manifest: dict, tasks: list[str], detected: bool) -> list[dict]:
    emb = get_embedder("color-motion")
    golds = {v["task"]: v for v in manifest["videos"] if v["role"] == "gold"}
    rows = []
    for task in tasks:
        if task not in golds:
            continue
        g = golds[task]
        side = None if detected else find_sidecar(root / g["path"])
        steps = load_steps(side) if side else None
        ge = embeddings_on_disk(root, g["path"], emb)
        gc = StillCache(ge.stills)
        g_end = settled(gc.window(float(ge.stills.times[-1]) - EDGE, float(ge.stills.times[-1])))
        for v in (v for v in manifest["videos"] if v["role"] == "trainee" and v["task"] == task):
            te = embeddings_on_disk(root, v["path"], emb)
            tc = StillCache(te.stills, size=gc.size)
            reg = register(g_end, settled(tc.window(float(te.stills.times[-1]) - EDGE, float(te.stills.times[-1]))))
            a = score_embeddings(ge, te, steps, scene=True)
            b = a
            if reg.ok:
                laid = dataclasses.replace(te, vectors=warp_vectors(te.vectors, reg.warp, gc.size))
                b = score_embeddings(ge, laid, steps, scene=True)
            row = {"task": task, "path": v["path"], "kind": v["kind"], "registered": bool(reg.ok),
                   "before": [a.score, a.verdict, _found(a)], "after": [b.score, b.verdict, _found(b)],
                   "expected": [(d["type"], _step_of(d)) for d in v.get("deviations", [])]}
            rows.append(row)
            if row["before"] != row["after"]:
                print(f"{v['kind']:10s} {a.score:6.1f} {a.verdict:12s} -> {b.score:6.1f} {b.verdict:12s} {v['path']}",
                      flush=True)
    return rows


def summary(rows: list[dict], which: str) -> dict:
    ok = [r for r in rows if r["kind"].startswith("correct")]
    bad = [r for r in rows if not r["kind"].startswith("correct")]
    return {"auc": round(auc([r[which][0] for r in ok], [r[which][0] for r in bad]), 3),
            "correct_pass": f"{sum(r[which][1] == 'pass' for r in ok)}/{len(ok)}",
            "defective_not_pass": f"{sum(r[which][1] != 'pass' for r in bad)}/{len(bad)}"}


def main() -> int:
    ap = argparse.ArgumentParser()
    add_set_args(ap)
    ap.add_argument("--tasks", default="t01_valve,t03_bracket,t04_terminals", help="the fixed-camera tasks")
    ap.add_argument("--detected-steps", action="store_true", help="ignore the golds' step files")
    ap.add_argument("--json-out", default=None)
    a = ap.parse_args()
    root, manifest = load_set(a.out, a.seed, a.quick)
    rows = probe(root, manifest, a.tasks.split(","), a.detected_steps)
    out = {"as_it_is": summary(rows, "before"), "laid_out_as_gold": summary(rows, "after"),
           "changed": sum(r["before"] != r["after"] for r in rows), "trainees": len(rows)}
    print(json.dumps(out, indent=1))
    if a.json_out:
        Path(a.json_out).write_text(json.dumps({"summary": out, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
