"""Probe (not part of the engine): can the clips alone tell a step left out when the gold's
steps are detected and the left-out step shares a detected step with its neighbour?

    .venv/bin/python benchmarks/probe_merged_missing.py --out bench_out/acc3 --seeds 0,1,3,5,19,21

Without a step file a missing step often lies inside a detected gold step that also holds a
neighbour; the trainee does the neighbour, so the clips find the detected step and the video
can pass (11 of 48 missing-step videos at 100 on those seeds, stop 40's engine). Two signals the
clips give, per detected step the clips found (the trainee's span from the in-order location,
``classify`` / ``missing_or_wrong``):

- **span**: the trainee's located seconds over the gold step's seconds times the trainee's
  pace (a merged step half left out should read about 0.5);
- **skip**: the most gold seconds the DTW path crosses, inside the gold step, beyond what the
  trainee's seconds at its pace account for (``gold - trainee / pace`` rising along the path).

Printed: the share of the correct videos' detected steps (the gold's first and last left out)
that a threshold on each flags, against the detected steps holding a missing step. On seeds
0, 1, 3, 5, 19, 21 neither separates (docs/bench/accuracy.md, "Stop 41").
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import embeddings_on_disk, load_set  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scoring.build_pair import build_evidence  # noqa: E402
from sopilot_resources.scoring.detect_order import swap  # noqa: E402
from sopilot_resources.scoring.detect_steps import classify, missing_or_wrong, trainee_pace  # noqa: E402
from sopilot_resources.scoring.profile import Profile  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402


def path_skip(gold_sec: np.ndarray, trainee_sec: np.ndarray, pace: float, a: float, b: float) -> float:
    """Most gold seconds the path (gold_sec, trainee_sec: (P,) along it) crosses within [a, b]
    beyond the trainee's seconds / ``pace`` over the same stretch; 0 with under two points."""
    m = (gold_sec >= a) & (gold_sec <= b)
    if m.sum() < 2:
        return 0.0
    e = gold_sec[m] - trainee_sec[m] / pace
    return float(np.max(e - np.minimum.accumulate(e)))


def step_signals(pe, status, pace: float) -> list[tuple[int, float, float]]:
    """(detected step, span ratio, skip s) per detected step the clips found."""
    p = pe.alignment.path
    gsec, tsec = pe.gold_tl.centres[p[:, 0]], pe.tr_tl.centres[p[:, 1]]
    out = []
    for j, (s, st) in enumerate(zip(pe.steps, status)):
        if not st.found or st.where is None:
            continue
        span = pe.tr_tl.t1(st.where.end) - pe.tr_tl.t0(st.where.start)
        out.append((j, span / (s.duration * pace), path_skip(gsec, tsec, pace, s.start_sec, s.end_sec)))
    return out


def probe(out: str, seeds: list[int]) -> tuple[list, list]:
    emb = get_embedder("color-motion")
    correct, missing = [], []
    for seed in seeds:
        root, manifest = load_set(out, seed, False)
        golds = {v["task"]: v for v in manifest["videos"] if v["role"] == "gold"}
        for v in manifest["videos"]:
            if v["role"] != "trainee" or v["kind"] not in ("correct", "missing"):
                continue
            g = golds[v["task"]]
            truth = load_steps(find_sidecar(root / g["path"]))
            pe, _ = build_evidence(embeddings_on_disk(root, g["path"], emb), embeddings_on_disk(root, v["path"], emb),
                                   None, Profile(), scene=False)
            status = swap(pe, classify(pe))
            pace = float(np.mean(trainee_pace(pe, status)))
            status, _ = missing_or_wrong(pe, status, pace)
            sig = step_signals(pe, status, pace)
            if v["kind"] == "correct":
                correct += [x for x in sig if 0 < x[0] < len(pe.steps) - 1]
                continue
            t = truth[v["deviations"][0]["gold_step"]]
            holds = max(range(len(pe.steps)), key=lambda j: min(t.end_sec, pe.steps[j].end_sec)
                        - max(t.start_sec, pe.steps[j].start_sec))
            missing += [x for x in sig if x[0] == holds]
    return correct, missing


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench_out/acc3")
    ap.add_argument("--seeds", default="0,1,3,5,19,21")
    a = ap.parse_args()
    correct, missing = probe(a.out, [int(x) for x in a.seeds.split(",")])
    c, m = np.array([x[1:] for x in correct]), np.array([x[1:] for x in missing])
    print(f"inner detected steps of correct videos: {len(c)}; detected steps holding a missing step, found: {len(m)}")
    print("span ratio, correct p1/p5/p10/p50: " + " / ".join(f"{v:.2f}" for v in np.percentile(c[:, 0], [1, 5, 10, 50])))
    print("span ratio, missing sorted: " + " ".join(f"{v:.2f}" for v in np.sort(m[:, 0])))
    for r in (0.55, 0.6, 0.67):
        for s in (0.0, 1.0, 1.5):
            fc, fm = ((c[:, 0] < r) & (c[:, 1] >= s)).sum(), ((m[:, 0] < r) & (m[:, 1] >= s)).sum()
            print(f"  span < {r} and skip >= {s} s: correct steps {fc} of {len(c)}, missing {fm} of {len(m)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
