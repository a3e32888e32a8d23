"""The default CPU embedder: appearance, spatial layout, and where / how motion happens.

Per frame (``frame_features``): grey-world chromaticity and z-scored luminance on an 8x8
grid, gradient-orientation histograms on an 8x8 grid. Per pair of consecutive sampled
frames (``pair_features``): camera-motion-compensated difference energy on an 8x8 grid and
residual optical-flow direction histograms on a 4x4 grid. Each frame and pair is computed
once per ``embed_clips`` call (overlapping clips share them) and pooled per clip; a
"dynamics" block (second half minus first half of the clip) keeps the temporal order.
Every block is L2-normalized and weighted; the final vector is L2-normalized.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from ..video.types import Clip
from .base import Embedder
from .frame_features import (
    APP_COARSE, APP_DIM, APP_SLICES, PAIR_DIM, PAIR_SLICES, frame_features, pair_features,
)

DEFAULT_WEIGHTS = {
    "chroma": 0.8,  # colour layout: which parts / tools are where
    "luma": 0.6,  # brightness layout (per-frame normalized)
    "hog": 1.0,  # shape layout: edges, part outlines, hand pose
    "energy": 1.2,  # where motion happens
    "flow": 0.8,  # how it happens: direction of motion per region
    "dynamics": 0.5,  # what changes within the clip (temporal order)
}
# soft normalization floor of the motion blocks: a still clip gets a short motion vector,
# so its similarity is decided by appearance instead of by normalized noise
MOTION_FLOOR = {"energy": 0.05, "flow": 0.5, "dynamics": 0.05}
_CACHE_SLACK = 64  # frames kept beyond the current clip, should clips arrive out of order


def _unit(v: np.ndarray, floor: float = 1e-6) -> np.ndarray:
    return v / (np.linalg.norm(v) + floor)


class ColorMotionEmbedder(Embedder):
    """``ColorMotionEmbedder(weights=None)``; ``dim`` = 1264, float32 rows, L2-normalized.

    Thread-safe: ``embed_clips`` keeps its frame cache local to the call."""

    name = "color-motion"
    version = 1

    def __init__(self, weights: dict[str, float] | None = None):
        unknown = set(weights or {}) - set(DEFAULT_WEIGHTS)
        if unknown:
            from ..errors import EmbedderError

            raise EmbedderError(f"unknown color-motion weight(s) {sorted(unknown)}; "
                                f"known: {sorted(DEFAULT_WEIGHTS)}")
        self.weights = {**DEFAULT_WEIGHTS, **(weights or {})}

    @property
    def dim(self) -> int:
        return APP_DIM + PAIR_DIM + len(APP_COARSE)

    def params(self) -> dict:
        return {"weights": dict(sorted(self.weights.items()))}

    def embed_clips(self, clips: Iterable[Clip]) -> np.ndarray:
        frames: dict[int, dict] = {}
        pairs: dict[int, np.ndarray] = {}
        rows = []
        for clip in clips:
            idx = [int(i) for i in clip.frame_indices]
            for k, fi in enumerate(idx):
                if fi not in frames:
                    frames[fi] = frame_features(clip.frames[k])
            for a, b in zip(idx[:-1], idx[1:]):
                if a not in pairs:
                    pairs[a] = pair_features(frames[a], frames[b])["motion"]
            app = np.stack([frames[i]["app"] for i in idx])
            motion = np.stack([pairs[a] for a in idx[:-1]]) if len(idx) > 1 else None
            rows.append(self.pool(app, motion))
            low = min(idx) - _CACHE_SLACK if len(frames) > 4 * len(idx) + _CACHE_SLACK else min(idx)
            for cache in (frames, pairs):
                for key in [k for k in cache if k < low]:
                    del cache[key]
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack(rows)

    def pool(self, app: np.ndarray, motion: np.ndarray | None) -> np.ndarray:
        """app (T, APP_DIM) per-frame and motion (T-1, PAIR_DIM) per-pair features of one
        clip (None for a one-frame clip) -> (dim,) float32, L2-normalized."""
        w = self.weights
        mean = app.mean(axis=0)
        blocks = [w[name] * _unit(mean[sl]) for name, sl in APP_SLICES.items()]
        if motion is not None:
            m = motion.mean(axis=0)
            energy, flow = m[PAIR_SLICES["energy"]], np.sqrt(m[PAIR_SLICES["flow"]])
            blocks.append(w["energy"] * energy / (np.linalg.norm(energy) + MOTION_FLOOR["energy"]))
            blocks.append(w["flow"] * flow / (np.linalg.norm(flow) + MOTION_FLOOR["flow"]))
        else:
            blocks.append(np.zeros(PAIR_DIM, np.float32))
        half = max(1, len(app) // 2)
        coarse = app[:, APP_COARSE]
        delta = coarse[-half:].mean(axis=0) - coarse[:half].mean(axis=0)
        blocks.append(w["dynamics"] * delta / (np.linalg.norm(delta) + MOTION_FLOOR["dynamics"]))
        return _unit(np.concatenate(blocks)).astype(np.float32)
