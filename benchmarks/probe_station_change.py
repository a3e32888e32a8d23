"""Probe (not part of the engine): does a moving gold camera show one view before and after a step?

    .venv/bin/python benchmarks/probe_station_change.py --out bench_out/acc3 --seed 0 [--seed 1 ...]

A gold step's change (``scene.regions``) is its settled scene after the step minus the one
before it, pixel for pixel. A body-worn camera that follows the performer from station to
station often arrives at the step's station during the step, so its "before" window shows the
previous station. For every gold of a demo set whose camera moves (``search.gold_is_fixed``
False), per step: how far registering the "before" scene onto the "after" one moves the
picture's corners (px at 320 px wide; ``inf``: they do not register), whether the two count as
one view (``regions.one_view``), and the step's region size, in px, without that rule and with
it (``-``: no change to judge).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import embeddings_on_disk, load_set  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scene import regions  # noqa: E402
from sopilot_resources.scene.pictures import COARSE_SIDE, StillCache  # noqa: E402
from sopilot_resources.scene.register import register  # noqa: E402
from sopilot_resources.scene.search import gold_is_fixed  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402


def corner_move(after: np.ndarray, before: np.ndarray) -> float:
    """Largest corner displacement (px at 320 px wide) registering ``before`` onto ``after``."""
    reg = register(after, before)
    if not reg.ok:
        return float("inf")
    h, w = after.shape[:2]
    corners = np.float32([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]])
    moved = corners @ np.asarray(reg.warp, np.float64).T
    return float(np.abs(moved[:, :2] / moved[:, 2:] - corners[:, :2]).max() * 320 / max(h, w))


def probe(out: str, seed: int) -> tuple[int, int]:
    """Print each moving gold's steps; -> (steps after the first, those whose windows show two views)."""
    root, manifest = load_set(out, seed, False)
    emb = get_embedder("color-motion")
    later = moved = 0
    for g in (v for v in manifest["videos"] if v["role"] == "gold"):
        steps = load_steps(find_sidecar(root / g["path"]))
        gs = StillCache(embeddings_on_disk(root, g["path"], emb).stills, side=COARSE_SIDE)
        if gold_is_fixed(gs):
            continue
        spans = [(s.start_sec, s.end_sec) for s in steps]
        end = float(gs.stills.times[-1])
        one = regions.one_view
        regions.one_view = lambda *a: True
        without = regions.gold_changes(gs, spans, end, fixed=False)
        regions.one_view = one
        with_rule = regions.gold_changes(gs, spans, end, fixed=False)
        for s, step in enumerate(steps):
            before, after = regions.gold_change(gs, spans, s, end)
            same = regions.one_view(gs, spans, s, end)
            sizes = ["-" if c is None else str(int(c.region.sum())) for c in (without[s], with_rule[s])]
            print(f"seed {seed} {g['task']} step {s} '{step.name}': corners moved {corner_move(after, before):.0f} px, "
                  f"{'one view' if same else 'two views'}; region {sizes[0]} -> {sizes[1]} px")
            if s > 0:
                later += 1
                moved += not same
    return later, moved


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench_out/acc3")
    ap.add_argument("--seed", type=int, action="append", default=[])
    a = ap.parse_args()
    later = moved = 0
    for seed in a.seed or [0]:
        n, m = probe(a.out, seed)
        later, moved = later + n, moved + m
    print(f"steps after the first: {later}; their windows show two views: {moved}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
