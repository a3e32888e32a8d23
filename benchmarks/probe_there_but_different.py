"""Probe (not part of the engine; not adopted): does a wrong result that is *there but different*
differ from the gold's more than a right one does, at the end?

    .venv/bin/python benchmarks/probe_there_but_different.py --out bench_out/acc3 --seed 0 [--seed 1 ...] [--jsonl F]

The end-state check (``scene.end_state``) reports a step whose place ends as it was *before* the
step. A part of the wrong colour put in its place, or a cable in the next socket, leaves the
place changed, but not as the gold's: the end scenes' difference does not correlate with the
change undone. Here, for every correct and wrong trainee of a demo set's fixed-camera tasks (step
files beside the golds), every gold step with a lasting change is measured at each level, in
the two end scenes (flattened, registered, colours matched; where the gold's end hides the
place, its scene right after the step), over the step's region, against the step's change:

- ``size``: the difference's norm over the change's (as ``EndState.size``);
- ``blur_size``: the same after a 1.5 px Gaussian blur of both (a pixel of registration);
- ``mean_ratio``: the norm of the region's mean difference (a colour) over the change's mean.

Printed per measure and level: the correct performances' median, 90th and 99th percentiles,
and the largest value among the wrong steps whose end correlates under ``UNDONE_AGREE`` with
the change undone (there, but different).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import embeddings_on_disk, load_set  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scene.end_state import UNDONE_AGREE, end_state, hidden_at_end  # noqa: E402
from sopilot_resources.scoring.build_pair import build_evidence  # noqa: E402
from sopilot_resources.scoring.detect_result import CLEAR_GOLD  # noqa: E402
from sopilot_resources.scoring.profile import Profile  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402

MEASURES = ("size", "blur_size", "mean_ratio")


def _blur(a: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(np.nan_to_num(a, nan=0.0).astype(np.float32), (0, 0), 1.5)


def measures(change, gold_end: np.ndarray, trainee_end: np.ndarray) -> dict:
    """The three measures of step ``change`` between the two flattened end scenes (H, W, 3)."""
    ys, xs = np.nonzero(change.region)
    d, u = trainee_end[ys, xs] - gold_end[ys, xs], change.change[ys, xs]
    ok = np.isfinite(d).all(-1) & np.isfinite(u).all(-1)
    d, u = d[ok], u[ok]
    bd = (_blur(trainee_end) - _blur(gold_end))[ys, xs][ok]
    bu = _blur(change.change)[ys, xs][ok]
    return {"size": float(np.linalg.norm(d) / (np.linalg.norm(u) + 1e-6)),
            "blur_size": float(np.linalg.norm(bd) / (np.linalg.norm(bu) + 1e-6)),
            "mean_ratio": float(np.linalg.norm(d.mean(0)) / (np.linalg.norm(u.mean(0)) + 1e-6))}


def rows(out: str, seed: int):
    """One dict per (trainee, step, level) of the set's correct and wrong fixed-camera trainees."""
    root, manifest = load_set(out, seed, False)
    emb = get_embedder("color-motion")
    golds = {v["task"]: v for v in manifest["videos"] if v["role"] == "gold"}
    for v in manifest["videos"]:
        if v["role"] != "trainee" or v["kind"] not in ("correct", "wrong"):
            continue
        g = golds[v["task"]]
        steps = load_steps(find_sidecar(root / g["path"]))
        pe, _ = build_evidence(embeddings_on_disk(root, g["path"], emb), embeddings_on_disk(root, v["path"], emb),
                               steps, Profile())
        sc = pe.scene
        if sc is None or not sc.usable or not sc.fixed_camera:
            continue
        wrong = {d.get("gold_step") for d in v.get("deviations", []) if d["type"] == "wrong_step"}
        for level in sc.levels:
            changes = {s: c for s, c in level.change(list(range(len(steps)))).items()
                       if c is not None and c.lasts and c.reliability >= CLEAR_GOLD}
            ends = level.ends() if changes else None
            if ends is None:
                continue
            for s, c in changes.items():
                gold_end, trainee_end = ends
                state = end_state(c, gold_end, trainee_end, level.name)
                if state is None and hidden_at_end(c, gold_end):
                    gold_end = level.gold_after(s)
                    state = None if gold_end is None else end_state(c, gold_end, trainee_end, level.name)
                if state is not None:
                    yield {"seed": seed, "video": v["path"], "kind": v["kind"], "step": s, "level": level.name,
                           "is_wrong": s in wrong, "agreement": state.agreement,
                           **measures(c, gold_end, trainee_end)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench_out/acc3")
    ap.add_argument("--seed", type=int, action="append", default=[])
    ap.add_argument("--jsonl", type=Path, help="also write every measure here, one JSON line each")
    a = ap.parse_args()
    got = []
    with (open(a.jsonl, "w", encoding="utf-8") if a.jsonl else contextlib.nullcontext()) as f:
        for seed in a.seed or [0]:
            for r in rows(a.out, seed):
                got.append(r)
                if f is not None:
                    f.write(json.dumps(r) + "\n")
    for m in MEASURES:
        for level in sorted({r["level"] for r in got}):
            at = [r for r in got if r["level"] == level]
            right = np.array([r[m] for r in at if r["kind"] == "correct"])
            other = [r[m] for r in at if r["is_wrong"] and r["agreement"] < UNDONE_AGREE]
            if len(right):
                p50, p90, p99 = np.percentile(right, [50, 90, 99])
                print(f"{m:10s} {level:9s} correct ({len(right)}): median {p50:.2f}, p90 {p90:.2f}, p99 {p99:.2f}; "
                      f"wrong, there but different ({len(other)}): largest {max(other, default=float('nan')):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
