"""Probe (not part of the engine): does the "color-motion" embedder gain from a finer look at
motion? Small-parts steps (turning a screw, pushing a wire in) move a few pixels at 320 px,
below what the embedder's motion blocks resolve (energy on 8x8 cells of a 160x96 picture,
flow on 80x48). Two blocks are appended to every clip vector, each frame pair 0.25 s apart:

- ``fine``: the camera-compensated frame difference at 320x180 on a 16x16 grid (256 values);
- ``focus``: how concentrated that difference is around its hottest spot (the share of a
  41x41 window's difference within 4, 8, 14, 20 px of it): a turning tool is a small hot
  spot, a moving arm a spread one.

The embedder is registered under a version of its own (99), so its embeddings are cached
apart from the product's; the blocks count in the engine's standardised comparison as the
others do (weight 1), and in the clip vector with weight ``--weight`` (0.7, as energy).

    .venv/bin/python benchmarks/probe_fine_motion.py --out bench_out/acc3 --seed N [--tasks t01_valve,t04_terminals] [--tag fine]

writes ``results-TAG.json`` beside the set (compare with another tag's rows for those tasks).
Tried and not adopted: docs/bench/accuracy.md, "Clip layout round".
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_accuracy as B  # noqa: E402

from sopilot_resources.embedders import color_motion as CM  # noqa: E402
from sopilot_resources.embedders import registry  # noqa: E402
from sopilot_resources.embedders.frame_features import frame_features, pair_features  # noqa: E402
from sopilot_resources.scoring import evidence as EV  # noqa: E402
from sopilot_resources.spill import GrowingRows  # noqa: E402

FG = 16
RINGS = (4, 8, 14, 20)
K_FINE, K_FOCUS = FG * FG, len(RINGS)
BASE = CM.ColorMotionEmbedder().dim


def grey320(rgb):
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    g = cv2.resize(g, (320, 180), interpolation=cv2.INTER_AREA)
    m, s = cv2.meanStdDev(g)
    return (g - m[0, 0]) / (s[0, 0] + 1.0)


YY, XX = np.mgrid[-20:21, -20:21]
RR = np.hypot(XX, YY)


def fine_pair(ga, gb):
    shift, _ = cv2.phaseCorrelate(ga, gb)
    moved = cv2.warpAffine(ga, np.float32([[1, 0, shift[0]], [0, 1, shift[1]]]), (320, 180), borderMode=cv2.BORDER_REPLICATE)
    d = cv2.absdiff(gb, moved)
    d = np.maximum(d - np.median(d), 0)
    fine = cv2.resize(d, (FG, FG), interpolation=cv2.INTER_AREA).ravel()
    sm = cv2.blur(d, (9, 9))
    y, x = np.unravel_index(np.argmax(sm), sm.shape)
    pad = np.pad(d, 20)
    crop = pad[y:y + 41, x:x + 41]
    tot = crop.sum() + 1e-6
    prev = 0
    focus = []
    for r in RINGS:
        inside = crop[RR <= r].sum()
        focus.append((inside - prev) / tot); prev = inside
    return np.concatenate([fine, np.array(focus, np.float32) * (sm.max() > 0.2)]).astype(np.float32)


class Fine(CM.ColorMotionEmbedder):
    """The product's embedder with the two blocks appended (version 99: cached apart)."""

    version = 99

    def __init__(self, w_fine=0.7, w_focus=0.7):
        super().__init__()
        self.weights = {**self.weights, "fine": w_fine, "focus": w_focus}
    def params(self):
        return {**super().params(), "fine": [FG, RINGS]}
    @property
    def dim(self):
        return BASE + K_FINE + K_FOCUS
    def embed_clips(self, clips):
        frames, pairs, fines = {}, {}, {}
        pooled = GrowingRows(self.dim)
        for clip in clips:
            idx = [int(i) for i in clip.frame_indices]
            for k, fi in enumerate(idx):
                if fi not in frames:
                    f = frame_features(clip.frames[k]); f["g320"] = grey320(clip.frames[k]); frames[fi] = f
            keys = [(idx[k], idx[j]) for k, j in clip.motion_pairs()]
            for a, b in keys:
                if (a, b) not in pairs:
                    pairs[a, b] = pair_features(frames[a], frames[b])["motion"]
                    fines[a, b] = fine_pair(frames[a]["g320"], frames[b]["g320"])
            app = np.stack([frames[i]["app"] for i in idx])
            motion = np.stack([pairs[key] for key in keys]) if keys else None
            extra = np.stack([fines[key] for key in keys]).mean(0) if keys else np.zeros(K_FINE + K_FOCUS, np.float32)
            pooled.append(np.concatenate([CM.pool_clip(app, motion), extra]))
            low = min(idx) - 64 if len(frames) > 4 * len(idx) + 64 else min(idx)
            for key in [k for k in frames if k < low]: del frames[key]
            for key in [k for k in pairs if k[0] < low]: del pairs[key]; fines.pop(key, None)
        return self.finish(pooled.take(), copy=False)


CM.BLOCKS["fine"] = slice(BASE, BASE + K_FINE)
CM.BLOCKS["focus"] = slice(BASE + K_FINE, BASE + K_FINE + K_FOCUS)
CM.MOTION_FLOOR["fine"] = 0.05
CM.MOTION_FLOOR["focus"] = 0.05
EV.COLOR_MOTION_BLOCK_WEIGHTS["fine"] = 1.0
EV.COLOR_MOTION_BLOCK_WEIGHTS["focus"] = 1.0


_orig_get = registry.get_embedder
registry.get_embedder = lambda name, *a, **k: Fine() if name == "color-motion" else _orig_get(name, *a, **k)
B.get_embedder = registry.get_embedder


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    B.add_set_args(ap)
    ap.add_argument("--tasks", default="t01_valve,t04_terminals")
    ap.add_argument("--tag", default="fine")
    a = ap.parse_args()
    tag, tasks = a.tag, a.tasks.split(",")
    root, man = B.load_set(a.out, a.seed, a.quick)
    if tasks:
        man = {**man, "videos": [v for v in man["videos"] if v["task"] in tasks]}
    rows = B.evaluate(root, man, False, False, {}, scene=True)
    summ = B.summarize(rows, False)
    (root / f"results-{tag}.json").write_text(json.dumps({"summary": summ, "rows": rows}, indent=1))
    print(json.dumps({k: summ[k] for k in ('auc', 'correct_pass', 'defective_not_pass')}))
