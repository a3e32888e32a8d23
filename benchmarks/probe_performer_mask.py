"""Probe (not part of the engine): can the gold performer be told from the scene by its look?

    .venv/bin/python benchmarks/probe_performer_mask.py --out bench_out/acc3 --seed 33 --task t01_valve [--png F]

Several false deviations come from a gold step region that holds the performer, not a result:
the first step (the arm resting before it), the last (the final pose), the end scene where the
performer rests over a result. A *performer mask* would drop those pixels. This probes the
simplest one: a colour model of the gold's moving pixels (stills, at the comparison's
pictures, far from their per-pixel median over the video) against its still ones (an 8x8x8 RGB
histogram each, log ratio above 1), kept only where it is connected to the picture's border
(the arm enters the view from an edge; a part carried during its step shares the arm's
"moving" colours but lies apart from it once placed). For the gold's settled end scene it
prints the share of the picture so marked, and, per gold step with a region, the share of the
region marked (a result should read 0; the arm's share is what a mask would remove), and
with ``--png`` writes the end scene beside it with the mask in magenta.
docs/bench/accuracy.md, "Stop 42".
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import embeddings_on_disk, load_set  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scoring.build_pair import build_evidence  # noqa: E402
from sopilot_resources.scoring.profile import Profile  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402
from sopilot_resources.scene.pictures import StillCache  # noqa: E402
from sopilot_resources.scene.settle import settled  # noqa: E402

BINS, MOVING, LIKELY = 8, 60.0, 1.0


def colour_index(img: np.ndarray) -> np.ndarray:
    """(..., 3) RGB -> (...) index of its BINS^3 histogram cell."""
    q = np.clip((img / 256.0 * BINS).astype(int), 0, BINS - 1)
    return q[..., 0] * BINS * BINS + q[..., 1] * BINS + q[..., 2]


def histogram(px: np.ndarray) -> np.ndarray:
    """(N, 3) -> (BINS^3,) smoothed frequencies."""
    h = np.bincount(colour_index(px), minlength=BINS ** 3).astype(float)
    return (h + 1.0) / (h.sum() + BINS ** 3)


def performer_mask(frames: np.ndarray, scene: np.ndarray) -> np.ndarray:
    """(H, W) bool: the pixels of ``scene`` (H, W, 3) that look like the performer, from the
    video's ``frames`` (K, H, W, 3): colours of its moving pixels, connected to the border."""
    still = np.median(frames, 0)
    moving = np.abs(frames - still).sum(-1) > MOVING
    ratio = np.log(histogram(frames[moving])[colour_index(np.nan_to_num(scene))]
                   / histogram(frames[~moving])[colour_index(np.nan_to_num(scene))])
    mask = cv2.morphologyEx((ratio > LIKELY).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    _, labels = cv2.connectedComponents(mask, connectivity=8)
    edge = np.zeros(mask.shape, bool)
    edge[:2], edge[-2:], edge[:, :2], edge[:, -2:] = True, True, True, True
    touching = np.unique(labels[edge & (mask > 0)])
    return np.isin(labels, touching[touching > 0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench_out/acc3")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--task", required=True)
    ap.add_argument("--png", default=None)
    a = ap.parse_args()
    root, manifest = load_set(a.out, a.seed, False)
    gold = next(v for v in manifest["videos"] if v["role"] == "gold" and v["task"] == a.task)
    e = embeddings_on_disk(root, gold["path"], get_embedder("color-motion"))
    steps = load_steps(find_sidecar(root / gold["path"]))
    pe, _ = build_evidence(e, e, steps, Profile())
    changes = pe.scene.levels[-1].change(list(range(len(steps))))
    shape = next(c.region.shape for c in changes.values() if c is not None)
    cache = StillCache(e.stills, size=shape[::-1])
    frames = np.stack([cache.get(i) for i in range(len(e.stills.times))]).astype(np.float32)
    end_t = float(e.stills.times[-1])
    end = settled(cache.window(end_t - 2.0, end_t))
    mask = performer_mask(frames, end)
    out = {"seed": a.seed, "task": a.task, "end_marked": round(float(mask.mean()), 3),
           "steps": [{"step": s, "name": steps[s].name, "region_px": int(c.region.sum()), "lasts": c.lasts,
                      "marked_at_end": round(float(mask[c.region].mean()), 2)}
                     for s, c in changes.items() if c is not None]}
    print(json.dumps(out))
    if a.png:
        img = np.nan_to_num(end).astype(np.uint8)
        marked = img.copy()
        marked[mask] = (255, 0, 255)
        cv2.imwrite(a.png, cv2.cvtColor(np.concatenate([img, marked], 1), cv2.COLOR_RGB2BGR))
    return 0


if __name__ == "__main__":
    sys.exit(main())
