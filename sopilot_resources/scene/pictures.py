"""Pictures for scene comparison: decoded stills, lighting removed (settled states: :mod:`.settle`).

Images are float32 (H, W, 3) RGB in 0-255; NaN marks pixels never seen unoccluded.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from ..stills import Stills
from .pixel_ops import seen_median

#: the high-pass that removes lighting gradients (sigma, px at 320 px wide)
LIGHT_SIGMA = 10.0
#: how far that blur reaches (3 sigma: beyond it, under 0.3 % of its weight)
LIGHT_REACH = int(np.ceil(3 * LIGHT_SIGMA))


#: the scene comparison works on pictures this large (longest side, px), the clips' frames';
#: the stills are kept larger (``stills.STILLS_SIDE``) for the search of small parts
#: (:mod:`.search`, "detail"), and averaged down to this size for everything else
COARSE_SIDE = 320


class StillCache:
    """Decoded stills of one video, each decoded once and kept as uint8 (a 640 px still as
    float32 would take 2.8 MB: 5 GB for a 15-minute video searched in detail), handed out as
    float32; resized to ``size`` (W, H),
    or, without a size, to at most ``side`` px on the longest side (None: as kept). Stills kept
    larger are decoded whole and averaged down (``INTER_AREA``): about 0.3 ms more a still than
    the JPEG decoder's own reduced decoding, and much less noise (a small part's lasting change
    measured twice as strong in the pair's noise units)."""

    def __init__(self, stills: Stills, size: tuple[int, int] | None = None, side: int | None = None):
        self.stills = stills
        first = stills.frame(0)
        self.native = (first.shape[1], first.shape[0])
        if size is None:
            scale = min(1.0, side / max(self.native)) if side else 1.0
            size = (max(1, round(self.native[0] * scale)), max(1, round(self.native[1] * scale)))
        self.size = size
        self._cache: dict[int, np.ndarray] = {}

    def _kept(self, i: int) -> np.ndarray:
        """(H, W, 3) uint8 still i at this cache's size, decoded on first use."""
        if i not in self._cache:
            img = self.stills.frame(i)
            if (img.shape[1], img.shape[0]) != self.size:
                img = cv2.resize(img, self.size, interpolation=cv2.INTER_AREA)
            self._cache[i] = img
        return self._cache[i]

    def get(self, i: int) -> np.ndarray:
        """(H, W, 3) float32 still i (a fresh array)."""
        return self._kept(i).astype(np.float32)

    def crop(self, i: int, box: tuple[int, int, int, int]) -> np.ndarray:
        """(h, w, 3) float32: still i over ``box`` (x0, y0, x1, y1)."""
        x0, y0, x1, y1 = box
        return self._kept(i)[y0:y1, x0:x1].astype(np.float32)

    def indices(self, t0: float, t1: float) -> tuple[int, ...]:
        """The stills :meth:`window` takes: those with t0 <= time <= t1 (the nearest one when none)."""
        idx = self.stills.between(t0, t1)
        if len(idx) == 0:
            return (int(np.argmin(np.abs(self.stills.times - (t0 + t1) / 2))),)
        return tuple(int(i) for i in idx)

    def window(self, t0: float, t1: float) -> np.ndarray:
        """(n, H, W, 3) uint8: the stills with t0 <= time <= t1 (the nearest one when none), as
        kept: :func:`.settle.settled` takes them so (and makes them float32 once, after taking
        their grey pictures from them as they are)."""
        return np.stack([self._kept(i) for i in self.indices(t0, t1)])


def scene_workers() -> int:
    """Threads for the scene comparison: the CPUs this process may use, at most 4."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    return max(1, min(4, n))


def flatten_light(img: np.ndarray) -> np.ndarray:
    """(H, W, 3) -> the same minus its blurred self (lighting ramps, gain and white-balance
    offsets go; edges, parts and marks stay), lightly smoothed against noise. NaN-safe: NaN
    pixels are filled from their neighbourhood for the blur and stay NaN in the result."""
    bad = np.isnan(img[..., 0])  # NaN marks a whole pixel (all channels) in this package
    x = img.astype(np.float32)
    if bad.any():  # filled in place (the same values as ``np.where``, without two more copies)
        x[bad] = seen_median(img, bad) if (~bad).any() else np.zeros(3, np.float32)
    out = cv2.GaussianBlur(np.subtract(x, low_pass(x), out=x), (0, 0), 0.8)
    out[bad] = np.nan
    return out


def low_pass(x: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 -> blurred with ``LIGHT_SIGMA`` (a Gaussian, the border reflected), to
    within 0.36 grey levels of ``cv2.GaussianBlur`` (0.13 at the 99th percentile, on the demo's
    640 px stills) in a third of its time: the picture, its border reflected, is averaged down to
    half size, blurred there (a blur this wide keeps nothing finer than the half-size grid),
    and brought back up. Pictures too small for that are blurred as they are."""
    h, w = x.shape[:2]
    p = LIGHT_REACH
    if min(h, w) <= 2 * p:
        return cv2.GaussianBlur(x, (0, 0), LIGHT_SIGMA)
    big = cv2.copyMakeBorder(x, p, p + (h % 2), p, p + (w % 2), cv2.BORDER_REFLECT_101)
    bh, bw = big.shape[:2]
    half = cv2.resize(big, (bw // 2, bh // 2), interpolation=cv2.INTER_AREA)
    # the 2x2 average already blurred by a box of variance 1/4 (full-size pixels)
    blur = cv2.GaussianBlur(half, (0, 0), float(np.sqrt(LIGHT_SIGMA ** 2 - 0.25)) / 2)
    return cv2.resize(blur, (bw, bh), interpolation=cv2.INTER_LINEAR)[p:p + h, p:p + w]


def region_box(masks: list[np.ndarray], shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the box around every mask, widened by the light-flattening blur's
    reach (3 sigma), inside an image of ``shape`` (H, W). Flattening only this box gives the
    masks' pixels what flattening the whole picture gives them (the blur's weight beyond 3
    sigma is under 0.3 %), at a fraction of the cost when the regions are small."""
    any_ = np.logical_or.reduce(masks)
    ys, xs = np.flatnonzero(any_.any(1)), np.flatnonzero(any_.any(0))
    pad = LIGHT_REACH + 2
    h, w = shape
    return (max(0, int(xs[0]) - pad), max(0, int(ys[0]) - pad), min(w, int(xs[-1]) + 1 + pad),
            min(h, int(ys[-1]) + 1 + pad))


def flat_at(c: StillCache, idx: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(K, N, 3) float32: the stills ``idx`` (K,) of ``c``, flattened (:func:`flatten_light`),
    at the N pixels of ``mask`` (H, W) bool, in ``np.nonzero`` order. Each still is flattened
    only over a box around each part of the mask, wide enough for the blur's reach (3 sigma:
    the same values as flattening the whole still, to 0.3 % of the blur's weight): a gold's
    step regions cover a few thousand of a 640 px still's 230,000 pixels. Stills in threads."""
    pad = LIGHT_REACH + 2
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((2 * pad + 1, 2 * pad + 1), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    ys, xs = np.nonzero(mask)
    parts = [(np.flatnonzero(labels[ys, xs] == k), tuple(int(v) for v in stats[k, :4])) for k in range(1, n)]
    out = np.empty((len(idx), len(ys), 3), np.float32)

    def one(k: int) -> None:
        for sel, (x, y, w, h) in parts:
            f = flatten_light(c.crop(int(idx[k]), (x, y, x + w, y + h)))
            out[k, sel] = f[ys[sel] - y, xs[sel] - x]

    with ThreadPoolExecutor(scene_workers(), thread_name_prefix="sopilot-scene") as pool:
        list(pool.map(one, range(len(idx))))
    return out


def match_colours(src: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """``src`` with each channel mapped by the straight line ``a x + b`` that best takes its
    quantiles (5-95 %, over the pixels both show) onto ``ref``'s: camera gain, offset and
    colour cast, without clipping the parts whose colours lie beyond the bulk of the picture
    (a full quantile mapping would flatten a saturated lamp or label); NaN stays NaN."""
    ok = np.isfinite(src).all(-1) & np.isfinite(ref).all(-1)
    if ok.sum() < 64:
        return src
    q = np.linspace(0.05, 0.95, 19)
    out = np.empty_like(src)
    for c in range(3):
        a, b = np.quantile(src[..., c][ok], q), np.quantile(ref[..., c][ok], q)
        gain, offset = np.polyfit(a, b, 1) if np.ptp(a) > 1e-3 else (1.0, float(np.mean(b - a)))
        out[..., c] = src[..., c] * gain + offset
    return out
