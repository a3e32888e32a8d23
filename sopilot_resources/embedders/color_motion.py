"""The default CPU embedder: appearance, spatial layout, and where / how motion happens.

Per frame (``frame_features``): grey-world chromaticity and z-scored luminance on an 8x8
grid, gradient-orientation histograms on an 8x8 grid. Per pair of sampled frames 0.25 s
apart (``pair_features``; ``Clip.motion_pairs``): camera-motion-compensated difference energy on an 8x8 grid and
residual optical-flow direction histograms on a 4x4 grid. Each frame and pair is computed
once per ``embed_clips`` call (overlapping clips share them) and pooled per clip; a
"dynamics" block (second half minus first half of the clip) keeps the temporal order.
At the end of the call the appearance blocks are centred on the video's mean clip
(``center``), every block is L2-normalized and weighted, and rows are L2-normalized.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from ..spill import GrowingRows
from ..video.types import Clip
from .base import Embedder
from .frame_features import (
    APP_COARSE, APP_DIM, APP_SLICES, PAIR_DIM, PAIR_SLICES, frame_features, pair_features,
)

DEFAULT_WEIGHTS = {
    "chroma": 0.3,  # colour layout: which parts / tools are where (low: sleeves, gloves vary)
    "luma": 0.5,  # brightness layout (per-frame normalized)
    "hog": 0.7,  # shape layout: edges, part outlines, hand pose
    "energy": 0.7,  # where motion happens
    "flow": 1.5,  # how it happens: direction of motion per region (most performer-invariant)
    "dynamics": 0.4,  # what changes within the clip (temporal order)
}
# soft normalization floor of the motion blocks: a still clip gets a short motion vector,
# so its similarity is decided by appearance instead of by normalized noise
MOTION_FLOOR = {"energy": 0.05, "flow": 0.5, "dynamics": 0.05}
# where each block sits in the pooled clip vector (see pool_clip)
BLOCKS = {
    **APP_SLICES,
    "energy": slice(APP_DIM + PAIR_SLICES["energy"].start, APP_DIM + PAIR_SLICES["energy"].stop),
    "flow": slice(APP_DIM + PAIR_SLICES["flow"].start, APP_DIM + PAIR_SLICES["flow"].stop),
    "dynamics": slice(APP_DIM + PAIR_DIM, APP_DIM + PAIR_DIM + len(APP_COARSE)),
}
_CACHE_SLACK = 64  # frames kept beyond the current clip, should clips arrive out of order
_FINISH_ROWS = 4096  # rows finished at a time (bounds the temporaries of ``finish``)


class ColorMotionEmbedder(Embedder):
    """``ColorMotionEmbedder(weights=None, center=True)``; ``dim`` = 1264, float32 rows,
    L2-normalized. Give ``embed_clips`` a whole video: with ``center`` its appearance
    blocks are relative to that video's mean clip.

    Thread-safe: ``embed_clips`` keeps all its state local to the call."""

    name = "color-motion"
    version = 1

    def __init__(self, weights: dict[str, float] | None = None, center: bool = True):
        unknown = set(weights or {}) - set(DEFAULT_WEIGHTS)
        if unknown:
            from ..errors import EmbedderError

            raise EmbedderError(f"unknown color-motion weight(s) {sorted(unknown)}; "
                                f"known: {sorted(DEFAULT_WEIGHTS)}")
        self.weights = {**DEFAULT_WEIGHTS, **(weights or {})}
        self.center = bool(center)

    @property
    def dim(self) -> int:
        return APP_DIM + PAIR_DIM + len(APP_COARSE)

    def params(self) -> dict:
        return {"weights": dict(sorted(self.weights.items())), "center": self.center}

    def embed_clips(self, clips: Iterable[Clip]) -> np.ndarray:
        frames: dict[int, dict] = {}
        pairs: dict[tuple[int, int], np.ndarray] = {}
        pooled = GrowingRows(self.dim)
        for clip in clips:
            idx = [int(i) for i in clip.frame_indices]
            for k, fi in enumerate(idx):
                if fi not in frames:
                    frames[fi] = frame_features(clip.frames[k])
            keys = [(idx[k], idx[j]) for k, j in clip.motion_pairs()]
            for a, b in keys:
                if (a, b) not in pairs:
                    pairs[a, b] = pair_features(frames[a], frames[b])["motion"]
            app = np.stack([frames[i]["app"] for i in idx])
            motion = np.stack([pairs[key] for key in keys]) if keys else None
            pooled.append(pool_clip(app, motion))
            low = min(idx) - _CACHE_SLACK if len(frames) > 4 * len(idx) + _CACHE_SLACK else min(idx)
            for key in [k for k in frames if k < low]:
                del frames[key]
            for key in [k for k in pairs if k[0] < low]:
                del pairs[key]
        return self.finish(pooled.take(), copy=False)

    def finish(self, pooled: np.ndarray, copy: bool = True) -> np.ndarray:
        """pooled (N, dim) raw clip features of one video (``pool_clip``) -> (N, dim) float32
        embeddings: appearance blocks centred on the video's mean (with ``center``), every
        block normalized and weighted, rows L2-normalized. ``copy=False`` works in ``pooled``
        itself (float32): a recording of hours then needs its vectors once, not four times."""
        out = pooled.astype(np.float32, copy=copy)
        means = {name: out[:, sl].mean(axis=0)
                 for name, sl in APP_SLICES.items()} if self.center and len(out) > 1 else {}
        for a in range(0, len(out), _FINISH_ROWS):
            self._finish_rows(out[a:a + _FINISH_ROWS], means)
        return out

    def _finish_rows(self, out: np.ndarray, means: dict) -> None:
        """The rows ``out`` (a view) finished in place, the appearance blocks centred on ``means``."""
        for name, sl in BLOCKS.items():
            block = out[:, sl]
            if name in means:
                block -= means[name]
            if name == "flow":
                np.sqrt(np.maximum(block, 0.0, out=block), out=block)
            norms = np.linalg.norm(block, axis=1, keepdims=True)
            block *= self.weights[name] / (norms + MOTION_FLOOR.get(name, 1e-6))
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def pool_clip(app: np.ndarray, motion: np.ndarray | None) -> np.ndarray:
    """app (T, APP_DIM) per-frame and motion (T-1, PAIR_DIM) per-pair features of one clip
    (None for a one-frame clip) -> (APP_DIM + PAIR_DIM + len(APP_COARSE),) raw pooled
    features: frame mean, pair mean, and second-half minus first-half coarse appearance."""
    half = max(1, len(app) // 2)
    coarse = app[:, APP_COARSE]
    delta = coarse[-half:].mean(axis=0) - coarse[:half].mean(axis=0)
    m = motion.mean(axis=0) if motion is not None else np.zeros(PAIR_DIM, np.float32)
    return np.concatenate([app.mean(axis=0), m, delta])
