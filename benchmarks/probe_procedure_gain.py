"""Probe (not part of the engine): does the procedure test (``segment.procedure_evidence``, "is
the gold's step order there at all?") still tell correct, defective and unrelated work apart?

    .venv/bin/python benchmarks/probe_procedure_gain.py --out bench_out/acc3 --seeds 0,1,3,5,19,21,23 [--detected-steps]

Scores every trainee of the seeds' demo sets, clips only (the test reads the clips; the scene
comparison does not change it), and prints per kind (correct, defective, unrelated) how many
the test does not recognise and the spread of their order gain, then the correct videos it
does not recognise and the unrelated ones with the highest gain. docs/bench/accuracy.md,
"Stop 39".
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_seeds_args, embeddings_on_disk, seed_sets  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scoring.build_pair import build_evidence  # noqa: E402
from sopilot_resources.scoring.profile import Profile  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    add_seeds_args(ap)
    ap.add_argument("--detected-steps", action="store_true", help="ignore the golds' step files")
    a = ap.parse_args()
    emb = get_embedder("color-motion")
    rows = defaultdict(list)
    for seed, root, manifest in seed_sets(a):
        for g in (v for v in manifest["videos"] if v["role"] == "gold"):
            ge = embeddings_on_disk(root, g["path"], emb)
            steps = None if a.detected_steps else load_steps(find_sidecar(root / g["path"]))
            for v in (x for x in manifest["videos"] if x["role"] == "trainee" and x["task"] == g["task"]):
                pe, _ = build_evidence(ge, embeddings_on_disk(root, v["path"], emb), steps, Profile(), scene=False)
                kind = v["kind"] if v["kind"] in ("correct", "unrelated") else "defective"
                rows[kind].append((pe.procedure["order_gain"], pe.procedure["recognised"], len(pe.steps),
                                   f"seed {seed} {v['path'].split('/')[-1]}"))
    for kind, got in rows.items():
        gain = np.array([r[0] for r in got])
        print(f"{kind:10s} {len(got):4d} videos, not recognised {sum(not r[1] for r in got):3d}; order gain "
              f"min {gain.min():.2f} p10 {np.quantile(gain, 0.1):.2f} median {np.median(gain):.2f} max {gain.max():.2f}")
    for r in rows["correct"]:
        if not r[1]:
            print(f"  correct, not recognised: {r[3]} (gain {r[0]:.3f}, {r[2]} gold steps)")
    for r in sorted(rows["unrelated"])[-5:]:
        print(f"  unrelated, highest gain: {r[3]} (gain {r[0]:.3f}, recognised {r[1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
