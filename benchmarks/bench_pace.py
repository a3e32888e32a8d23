"""Pace robustness: correct performances re-timed per step, scored against their gold.

    .venv/bin/python benchmarks/bench_pace.py --out bench_out/acc2 [--seed 1 | --quick] [--draws 12]

The demo sets (same directories as bench_accuracy.py) hold correct performances at paces of
about 0.8-1.25x. Real trainees vary 0.6-1.6x per step, so each correct trainee's clip
embeddings are re-timed (``sopilot_resources.demo.retime``): every step at 0.6x, every step at
1.6x, steps alternating 0.6x / 1.6x (both phases), and ``--draws`` random paces in 0.6-1.6x
per step and pause. Prints, per mode, how many re-timed performances do not ``pass``, and
each one's deviations. Re-timing repeats or drops clips, so a sped-up step keeps its
slow-motion look: a proxy for another pace, not a recording of it.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_set_args, load_set  # noqa: E402

from sopilot_resources.demo.retime import pace_factors, retime  # noqa: E402
from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.ingest import ingest_video  # noqa: E402
from sopilot_resources.scoring.engine import score_embeddings  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402

LOW, HIGH = 0.6, 1.6


def modes(n_segments: int, draws: int) -> dict[str, list]:
    """mode name -> list of pace(k) functions (one per draw)."""
    out = {"all 0.6x": [lambda k: LOW], "all 1.6x": [lambda k: HIGH],
           "alternating 0.6x/1.6x": [lambda k: (LOW, HIGH)[k % 2], lambda k: (HIGH, LOW)[k % 2]]}
    out["random 0.6-1.6x"] = [lambda k, p=np.random.default_rng(d).uniform(LOW, HIGH, n_segments): p[k]
                              for d in range(draws)]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_set_args(ap)
    ap.add_argument("--draws", type=int, default=12)
    a = ap.parse_args()
    root, manifest = load_set(a.out, a.seed, a.quick)
    emb = get_embedder("color-motion", device="cpu")
    golds = {v["task"]: v for v in manifest["videos"] if v["role"] == "gold"}
    correct = [v for v in manifest["videos"] if v.get("kind") == "correct"]
    clips = {v["path"]: ingest_video(root / v["path"], emb) for v in [*golds.values(), *correct]}
    summary = {}
    for v in correct:
        g = golds[v["task"]]
        steps = load_steps(find_sidecar(root / g["path"]))
        for mode, paces in modes(len(v["segments"]), a.draws).items():
            n, bad = summary.get(mode, (0, 0))
            for pace in paces:
                r = score_embeddings(clips[g["path"]], retime(clips[v["path"]], v["segments"],
                                                               pace_factors(v["segments"], pace)), steps)
                n, bad = n + 1, bad + (r.verdict != "pass")
                if r.verdict != "pass":
                    print(f"{v['path']} [{mode}]: {r.score:.1f} {r.verdict}; "
                          + "; ".join(d.message for d in r.deviations))
            summary[mode] = (n, bad)
    print(json.dumps({"set": str(root), **{m: f"{b}/{n} not pass" for m, (n, b) in summary.items()}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
