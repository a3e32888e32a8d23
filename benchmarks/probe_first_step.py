"""Probe (not part of the engine; not adopted): can a resting arm be taken out of a step's region?

    .venv/bin/python benchmarks/probe_first_step.py --out bench_out/acc3 --seeds 0,21

A fixed camera's first (and last) step has no gold stills on one side, so its region
(:func:`sopilot_resources.scene.regions.gold_changes`) cannot be checked to last both ways:
on the valve it is where the performer's arm rested in the first second. Per fixed-camera task
and gold step: the region's size in px, ``L`` when it was checked to last (``n`` not), then
- ``perf``: the share of its pixels whose colour, before or after the step, is the
  performer's (log-likelihood ratio above 1 of an 8x8x8 colour histogram of the pixels that
  moved in the gold's windows, one every 2 s, against the windows' medians);
- ``cut``: the px left when the parts that join the picture's border through pixels the
  performer covers in every still of either window (NaN in the settled pictures) are cut.
docs/bench/accuracy.md, "Station-mosaic round": neither separates the arm from real results.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from probe_station_mosaic import task_golds  # noqa: E402
from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scene.pictures import COARSE_SIDE, StillCache  # noqa: E402
from sopilot_resources.scene.pixel_ops import median_first_axis  # noqa: E402
from sopilot_resources.scene.regions import BORDER, gold_change, gold_changes  # noqa: E402

BINS = 8


def colour_bin(px: np.ndarray) -> np.ndarray:
    """(N, 3) colours 0-255 -> (N,) histogram bins."""
    q = np.clip(np.nan_to_num(px), 0, 255).astype(np.int32) * BINS // 256
    return q[:, 0] * BINS * BINS + q[:, 1] * BINS + q[:, 2]


def performer_llr(c: StillCache, every: float = 2.0, moved: float = 60.0) -> np.ndarray:
    """(BINS**3,) log P(colour | moving) - log P(colour | the windows' medians)."""
    perf, back = np.ones(BINS ** 3), np.ones(BINS ** 3)
    t = c.stills.times
    for x in np.arange(t[0] + 1, t[-1] - 1, every):
        frames = c.window(x - 0.75, x + 0.75).astype(np.float32)  # kept as uint8
        if len(frames) < 3:
            continue
        med = median_first_axis(frames)
        for f, m in zip(frames, np.abs(frames - med).sum(-1) > moved):
            perf += np.bincount(colour_bin(f[m]), minlength=BINS ** 3)
        back += np.bincount(colour_bin(med.reshape(-1, 3)), minlength=BINS ** 3)
    return np.log(perf / perf.sum()) - np.log(back / back.sum())


def border_cut(region: np.ndarray, covered: np.ndarray) -> int:
    """px of ``region`` left when its parts joining the border margin through ``covered`` go."""
    h, w = region.shape
    m = max(1, int(round(BORDER * h)))
    edge = np.zeros((h, w), bool)
    edge[:m], edge[-m:], edge[:, :m], edge[:, -m:] = True, True, True, True
    grown = cv2.dilate((region | covered).astype(np.uint8), np.ones((5, 5), np.uint8))
    _, labels = cv2.connectedComponents(grown, connectivity=8)
    touching = np.unique(labels[edge & (grown > 0)])
    return int((region & ~np.isin(labels, touching[touching > 0])).sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench_out/acc3")
    ap.add_argument("--seeds", default="0,21")
    a = ap.parse_args()
    emb = get_embedder("color-motion")
    for task in ("t01_valve", "t03_bracket", "t04_terminals"):
        for seed, _, _, steps, ge in task_golds(a.out, a.seeds, task, emb):
            spans = [(s.start_sec, s.end_sec) for s in steps]
            g, end = StillCache(ge.stills, side=COARSE_SIDE), float(ge.stills.times[-1])
            llr = performer_llr(g)
            cells = []
            for s, c in enumerate(gold_changes(g, spans, end, fixed=True)):
                if c is None:
                    cells.append(f"{s}:-")
                    continue
                g0, g1 = gold_change(g, spans, s, end)
                ys, xs = np.nonzero(c.region)
                perf = (llr[colour_bin(g0[ys, xs])] > 1.0) | (llr[colour_bin(g1[ys, xs])] > 1.0)
                covered = np.isnan(g0).any(-1) | np.isnan(g1).any(-1)
                cells.append(f"{s}:{len(ys)}px {'L' if c.lasts else 'n'} perf {perf.mean():.2f} "
                             f"cut {border_cut(c.region, covered)}")
            print(seed, task, " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
