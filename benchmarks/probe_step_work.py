"""Probe, not in the engine: is there work where the clips placed each step?

A clip embedding's ``energy`` block is the camera-motion-compensated frame difference of its
frame pairs (``embedders/frame_features.pair_features``): motion of the performer, not of the
camera. Its raw size survives the embedder's normalisation (the block is scaled to
``w * n / (n + floor)`` and the row by the appearance blocks' fixed norms), so it can be read
back from stored embeddings (:func:`work`). Per step, the trainee's work over the span the
clips matched is printed relative to the gold's work over the step (``*`` marks the step the
generator made defective, ``-`` a step not located).

    .venv/bin/python benchmarks/probe_step_work.py --out bench_out/acc3 --seed 0 --task t02

Used for the moving-camera task, where a missing step is placed on the camera passing its
station (docs/bench/accuracy.md, "Order round").
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_set_args, embeddings_on_disk, load_set  # noqa: E402

from sopilot_resources.embedders.color_motion import BLOCKS, DEFAULT_WEIGHTS, MOTION_FLOOR  # noqa: E402
from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scoring.build_pair import build_evidence  # noqa: E402
from sopilot_resources.scoring.detect_steps import classify  # noqa: E402
from sopilot_resources.scoring.profile import Profile  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402


def work(vectors: np.ndarray) -> np.ndarray:
    """(N, D) color-motion embeddings -> (N,) raw norm of each clip's energy block."""
    scale = np.linalg.norm(vectors[:, BLOCKS["chroma"]], axis=1) / DEFAULT_WEIGHTS["chroma"]
    shown = np.linalg.norm(vectors[:, BLOCKS["energy"]], axis=1) / np.maximum(scale, 1e-9)
    w, floor = DEFAULT_WEIGHTS["energy"], MOTION_FLOOR["energy"]
    return floor * shown / np.maximum(w - shown, 1e-6)


def mean_between(emb, values: np.ndarray, a: float, b: float) -> float:
    centre = (emb.starts + emb.ends) / 2
    sel = (centre >= a) & (centre <= b)
    return float(values[sel].mean()) if sel.any() else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser()
    add_set_args(ap)
    ap.add_argument("--task", default="t02", help="task name prefix")
    a = ap.parse_args()
    root, manifest = load_set(a.out, a.seed, a.quick)
    emb = get_embedder("color-motion")
    golds = {v["task"]: v for v in manifest["videos"] if v["role"] == "gold"}
    for v in manifest["videos"]:
        if v["role"] != "trainee" or not v["task"].startswith(a.task) or v["kind"] == "unrelated":
            continue
        g = golds[v["task"]]
        gold, trainee = embeddings_on_disk(root, g["path"], emb), embeddings_on_disk(root, v["path"], emb)
        gw, tw = work(gold.vectors), work(trainee.vectors)
        pe, _ = build_evidence(gold, trainee, load_steps(find_sidecar(root / g["path"])), Profile(), scene=False)
        marked = {d.get("gold_step") for d in v.get("deviations", [])}
        cells = []
        for st in classify(pe):
            if st.where is None:
                cells.append("   -  ")
                continue
            g_work = mean_between(gold, gw, st.step.start_sec, st.step.end_sec)
            t_work = mean_between(trainee, tw, pe.tr_tl.t0(st.where.start), pe.tr_tl.t1(st.where.end))
            cells.append(f"{t_work / g_work:5.2f}{'*' if st.step.index in marked else ' '}")
        print(f"{Path(v['path']).name[:38]:38s} {' '.join(cells)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
