"""Probe (not part of the engine): which part of the clip vectors tells a gold's steps apart?

    .venv/bin/python benchmarks/probe_step_signal.py --out bench_out/acc3 --seeds 0,1,3,5,19,21 [--tol 1.0]

``detect_steps`` finds a gold's step boundaries at peaks of the Foote novelty of its whole
colour-motion clip vectors. Per signal, this prints the boundaries found against the step
files' (each true boundary hit by the nearest unused one within ``--tol`` s, as
``bench_accuracy.boundary_hits`` counts), pooled over every gold of the seeds, and how many
golds get fewer or more steps than they have: ``clips`` is the engine; a block name is the
novelty of that block of the vectors alone (``what_if_steps.block_steps``: ``energy``, where
in the picture the hands move; ``flow``, how; ``hog``, shapes; ``chroma`` / ``luma``, colour
and brightness layout; ``dynamics``). docs/bench/accuracy.md, "Stop 40": the energy block
finds more boundaries than the whole vector, and the engine scores worse with them.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_seeds_args, boundary_hits, embeddings_on_disk, seed_sets  # noqa: E402
from what_if_steps import detector  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402

#: the engine's signal, then each block of the colour-motion vectors alone
SIGNALS = ("clips", "energy", "flow", "hog", "chroma", "luma", "dynamics")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_seeds_args(ap)
    ap.add_argument("--tol", type=float, default=1.0, help="a boundary within this many seconds is a hit")
    a = ap.parse_args()
    emb = get_embedder("color-motion")
    tally = {s: np.zeros(3, int) for s in SIGNALS}
    extra: dict[str, list[int]] = {s: [] for s in SIGNALS}
    for _seed, root, manifest in seed_sets(a):
        for g in (v for v in manifest["videos"] if v["role"] == "gold"):
            e = embeddings_on_disk(root, g["path"], emb)
            truth = load_steps(find_sidecar(root / g["path"]))
            for s in SIGNALS:
                found = detector(s)(e.vectors, e.starts, e.ends)
                tally[s] += boundary_hits([x.end_sec for x in found[:-1]], truth, a.tol)
                extra[s].append(len(found) - len(truth))
    for s in SIGNALS:
        hit, n_true, n_found = (int(x) for x in tally[s])
        r, p = hit / max(1, n_true), hit / max(1, n_found)
        d = np.array(extra[s])
        print(f"{s:9s} recall {r:.3f} precision {p:.3f} F1 {2 * r * p / max(r + p, 1e-9):.3f} "
              f"({hit} of {n_true} true, {n_found} found); golds with fewer steps {int((d < 0).sum())}, "
              f"more {int((d > 0).sum())}, of {len(d)}; mean {d.mean():+.2f} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
