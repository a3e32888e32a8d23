"""Deviations located at the right step when the gold's steps were detected (no step file).

    .venv/bin/python benchmarks/detected_located.py --out bench_out/acc3 --tag TAG --seeds 0,1,3

``bench_accuracy.py --detected-steps`` reports each deviation at a *detected* gold step, whose
number is not the ground truth's. Since stop 39 it also writes each row's deviations at the
true steps (``found_true``) and counts its per-kind table from them; results written before
that lack them, and this reads those too: it maps each detected step onto the true step (the
golds' step files, read here only) it overlaps most, in gold seconds (``found_true`` where a
row has it), and counts per defect kind over several seeds: videos, caught (not ``pass``),
typed (a deviation of the right type), located (of the right type at the right true step: for
a swap either step, for an extra action or a pause the step it follows), over the seeds given,
from ``results-TAG-detected.json`` (no scoring again). The detected steps are those the engine
made (``scoring.steps.detect_steps`` on the gold's cached embeddings, deterministic): for
rows without ``found_true`` the mapping is right only while ``detect_steps`` is the one that
scored them (a changed detection gives other steps, or a KeyError).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_seeds_args, embeddings_on_disk, per_kind, seed_sets, true_step_of  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scoring.steps import detect_steps, find_sidecar, load_steps  # noqa: E402


def mapped_rows(root: Path, manifest: dict, tag: str) -> list[dict]:
    """The rows of ``results-TAG-detected.json`` with each found deviation's step made a true
    one (``found_true`` where the row has it; else mapped here, each gold's steps detected
    once, and only for golds with such rows)."""
    golds = {v["task"]: v for v in manifest["videos"] if v["role"] == "gold"}
    maps: dict[str, dict[int, int]] = {}

    def to_true(task: str) -> dict[int, int]:
        if task not in maps:
            g = golds[task]
            e = embeddings_on_disk(root, g["path"], get_embedder("color-motion"))
            maps[task] = true_step_of(detect_steps(e.vectors, e.starts, e.ends),
                                      load_steps(find_sidecar(root / g["path"])))
        return maps[task]

    rows = json.loads((root / f"results-{tag}-detected.json").read_text())["rows"]
    for r in rows:
        if "found_true" in r:
            r["found"] = r["found_true"]
            continue
        m = to_true(r["task"])
        r["found"] = sorted({(t, None if s is None else m[s]) for t, s in map(tuple, r["found"])},
                            key=lambda x: (x[0], -1 if x[1] is None else x[1]))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    add_seeds_args(ap)
    ap.add_argument("--tag", required=True)
    a = ap.parse_args()
    total: dict[str, dict[str, int]] = {}
    for seed, root, manifest in seed_sets(a):
        kinds = per_kind(mapped_rows(root, manifest, a.tag))
        print(f"seed {seed}: " + "  ".join(f"{k} {v['located']}/{v['videos']}" for k, v in kinds.items()))
        for k, v in kinds.items():
            acc = total.setdefault(k, dict.fromkeys(v, 0))
            for f, n in v.items():
                acc[f] += n
    print("all: " + "  ".join(f"{k}: caught {v['caught']} typed {v['typed']} located {v['located']} of {v['videos']}"
                              for k, v in total.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
