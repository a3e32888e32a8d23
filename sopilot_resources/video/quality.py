"""Per-clip quality flags: dark, overexposed, blurry, frozen.

Per-frame statistics are computed once per sampled frame (overlapping clips share them) on
a grayscale thumbnail whose longest side is ``QualityThresholds.analysis_side`` px, so the
numbers, and hence the thresholds, do not depend on the source resolution or on
``SamplingConfig.max_side``. A clip's flag is decided on the median over its frames
(frozen: the median frame-to-frame change), so one odd frame does not flag a clip.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from .types import QUALITY_FLAGS


@dataclass(frozen=True)
class QualityThresholds:
    """Defaults, on 8-bit luma (0-255) of a thumbnail with longest side 160 px:

    dark_luma=40: median frame mean luma below it. A normally exposed indoor scene sits at
        90-150; 40 is about 1.5 stops under, where colour and edges drown in noise.
    overexposed_clipped=0.25: median fraction of pixels at >= 250 above it (a quarter of the
        image burnt out) ... or overexposed_luma=215: median mean luma above it (washed out).
    blurry_sharpness=0.2: median contrast-normalised sharpness below it, i.e.
        var(Laplacian) / (var(luma) + 25). Dividing by the image's own contrast keeps dark,
        washed-out or low-contrast scenes from reading as blurry. Sharp footage gives 1-7 at
        this size; a Gaussian blur of sigma ~1.2 px at 160 px (~6 px at 720p) brings it under
        0.2. A flat, texture-less view (lens cap, blank wall) also scores ~0: the flag means
        "no usable detail", whatever the cause.
    frozen_diff=0.2: median mean-absolute luma change between consecutive sampled frames of
        the clip below it (a fifth of a grey level). A stuck or duplicated feed gives ~0 (with
        small spikes at codec keyframes, hence the median); a live camera on a still scene
        still shows sensor noise and compression flicker (~0.5-1.5), and motion gives more.
    """

    dark_luma: float = 40.0
    overexposed_luma: float = 215.0
    overexposed_clipped: float = 0.25
    blurry_sharpness: float = 0.2
    frozen_diff: float = 0.2
    analysis_side: int = 160


@dataclass(frozen=True)
class FrameStats:
    """Statistics of one sampled frame (see module doc); ``diff_prev`` is NaN for the first."""

    luma: float
    clipped: float
    sharpness: float
    diff_prev: float


def analysis_gray(rgb: np.ndarray, side: int = 160) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (h, w) uint8 gray with longest side ``side`` (INTER_AREA)."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    scale = side / max(h, w)
    if scale < 1.0:
        gray = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return gray


def frame_stats(gray: np.ndarray, prev_gray: np.ndarray | None) -> FrameStats:
    """gray: (h, w) uint8 from analysis_gray; prev_gray: the previous sampled frame's or None."""
    lap = cv2.Laplacian(gray, cv2.CV_32F, ksize=1)
    diff = float("nan")
    if prev_gray is not None and prev_gray.shape == gray.shape:
        diff = float(cv2.absdiff(gray, prev_gray).mean())
    return FrameStats(
        luma=float(gray.mean()),
        clipped=float(np.count_nonzero(gray >= 250)) / gray.size,
        sharpness=float(lap.var()) / (float(gray.var()) + 25.0),
        diff_prev=diff,
    )


def clip_flags(stats: Sequence[FrameStats], th: QualityThresholds = QualityThresholds()) -> dict[str, bool]:
    """Quality flags of one clip from the stats of its frames (in time order).

    The first frame's ``diff_prev`` (change from the frame before the clip) is ignored, so a
    clip's flags depend only on its own frames. Returns {flag: bool} for every QUALITY_FLAGS."""
    if not stats:
        return {f: False for f in QUALITY_FLAGS}
    luma = float(np.median([s.luma for s in stats]))
    clipped = float(np.median([s.clipped for s in stats]))
    sharp = float(np.median([s.sharpness for s in stats]))
    diffs = [s.diff_prev for s in stats[1:] if np.isfinite(s.diff_prev)]
    flags = {
        "dark": luma < th.dark_luma,
        "overexposed": luma > th.overexposed_luma or clipped > th.overexposed_clipped,
        "blurry": sharp < th.blurry_sharpness,
        "frozen": bool(diffs) and float(np.median(diffs)) < th.frozen_diff,
    }
    return {f: bool(flags[f]) for f in QUALITY_FLAGS}


def assess_frames(frames: np.ndarray, th: QualityThresholds = QualityThresholds()) -> dict[str, bool]:
    """Quality flags of a (T, H, W, 3) uint8 RGB frame stack (same rule as the reader uses)."""
    stats, prev = [], None
    for f in frames:
        g = analysis_gray(f, th.analysis_side)
        stats.append(frame_stats(g, prev))
        prev = g
    return clip_flags(stats, th)
