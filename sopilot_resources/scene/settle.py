"""The settled scene of a short window of stills: the work area without the performer.

:func:`settled` is the scene comparison's most frequent operation (every sampled trainee
scene, four per gold step, at 320 px and at 640 px), so its per-pixel passes are numba
kernels (:func:`_deviation`, :func:`_mean_still`, and the median of the deviations:
:func:`typical`), each one pass over the window instead of NumPy's half dozen temporaries;
they release the GIL, as the threads that call them need.
Images are float32 (H, W, 3) RGB in 0-255; NaN marks pixels never seen unoccluded.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..align._jit import cached_njit
from .pixel_ops import middle_pair

#: a pixel is taken as the performer (moving arm, hand, tool) in one still of a window when it
#: differs from the window's per-pixel median by this many times the window's typical
#: difference (and at least MOVE_FLOOR grey levels summed over RGB)
MOVE_K, MOVE_FLOOR = 4.0, 24.0
#: the performer's outline is blurred by motion and compression: masks grow by this many px
MASK_GROW = 3
#: a still is shifted onto its window's middle one only for a shift of at least SHIFT_MIN px
#: that phase correlation finds clearly (peak response): a moving arm alone is not camera motion
SHIFT_MIN, SHIFT_RESPONSE = 0.5, 0.2


def steady(frames: np.ndarray) -> np.ndarray:
    """(n, H, W, 3) stills of one short window, each shifted onto the middle one (phase
    correlation of their grey pictures: camera shake, a camera that pans or drifts); pixels
    shifted in from outside the picture are NaN. uint8 stills (as :class:`.pictures.StillCache`
    keeps them) come back float32, the same values as their float32 copies would."""
    if len(frames) < 2:
        return frames
    kept = frames.dtype == np.uint8  # then they are their grey pictures' uint8 already
    grey = [cv2.cvtColor(f if kept else np.clip(f, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY).astype(np.float32)
            for f in frames]
    win = cv2.createHanningWindow(grey[0].shape[::-1], cv2.CV_32F)
    ref = grey[len(grey) // 2]
    h, w = ref.shape
    out = frames.astype(np.float32) if kept else np.empty_like(frames)
    for i, (f, g) in enumerate(zip(out if kept else frames, grey)):
        if i != len(grey) // 2:  # the middle one itself stays
            (dx, dy), response = cv2.phaseCorrelate(ref, g, win)
            if not ((abs(dx) < SHIFT_MIN and abs(dy) < SHIFT_MIN) or response < SHIFT_RESPONSE):
                m = np.float32([[1, 0, dx], [0, 1, dy]])
                out[i] = cv2.warpAffine(f, m, (w, h), flags=cv2.INTER_LINEAR + cv2.WARP_INVERSE_MAP,
                                        borderMode=cv2.BORDER_CONSTANT, borderValue=(np.nan, np.nan, np.nan))
                continue
        if not kept:  # (uint8 stills: already there)
            out[i] = f
    return out


def settled(frames: np.ndarray) -> np.ndarray:
    """(n, H, W, 3) stills of one short window -> (H, W, 3) the scene without what moved.

    The stills are first steadied (:func:`steady`). Per pixel, the mean of the stills in which
    the pixel is not taken by the performer: it differs from the window's median by much more
    than the window's typical difference, in a blob (isolated noisy pixels are not a
    performer); NaN where it is taken in every one. One still: returned as it is."""
    if len(frames) == 1:
        return frames[0].astype(np.float32) if frames.dtype == np.uint8 else frames[0].copy()
    frames = np.ascontiguousarray(steady(frames), np.float32)
    dev = _deviation(frames)
    thr = max(MOVE_K * typical(dev), MOVE_FLOOR)
    grow = np.ones((2 * MASK_GROW + 1, 2 * MASK_GROW + 1), np.uint8)
    speck = np.ones((3, 3), np.uint8)
    moved = np.stack([cv2.dilate(cv2.morphologyEx((d > thr).astype(np.uint8), cv2.MORPH_OPEN, speck), grow)
                      for d in dev])
    return _mean_still(frames, moved)


def typical(dev: np.ndarray) -> float:
    """``float(np.median(dev[np.isfinite(dev)]))`` for the deviations (n, H, W) of
    :func:`_deviation` (>= 0, inf where unseen), the same value; MOVE_FLOOR / MOVE_K when none is
    finite. The two middle values are found by :func:`.pixel_ops.middle_pair` in two passes instead of
    copying the finite values and partitioning them (a third of a 640 px window's time went to
    it), and without sorting any; the two are averaged as ``np.median`` does (``np.mean`` of
    them, in float32)."""
    n, lo, hi = middle_pair(np.ascontiguousarray(dev, np.float32).ravel())  # 1-D: one compiled overload
    if n == 0:
        return MOVE_FLOOR / MOVE_K
    return float(lo) if n % 2 else float(np.mean(np.array([lo, hi], np.float32)))


@cached_njit(nogil=True)
def _deviation(frames):  # pragma: no cover - compiled
    """frames (n, H, W, 3) float32 -> (n, H, W) float32: per still and pixel, the summed
    |still - median| over RGB, the median taken per element over the n stills (NaN elements
    replaced by the middle still's, which is never shifted); inf where the still is NaN.
    The values of ``channels_sum(abs(frames - median_first_axis(...)))``: float32 throughout,
    the median of an even count (s[k-1] + s[k]) * 0.5."""
    n, h, w, _ = frames.shape
    mid, k = n // 2, n // 2
    half = np.float32(0.5)
    out = np.empty((n, h, w), np.float32)
    buf = np.empty(n, np.float32)
    med = np.empty(3, np.float32)
    for y in range(h):
        for x in range(w):
            for c in range(3):
                for i in range(n):
                    v = frames[i, y, x, c]
                    buf[i] = frames[mid, y, x, c] if np.isnan(v) else v
                med[c] = _median(buf, n, k, half)
            for i in range(n):
                s = (abs(frames[i, y, x, 0] - med[0]) + abs(frames[i, y, x, 1] - med[1])) + abs(frames[i, y, x, 2] - med[2])
                out[i, y, x] = np.inf if np.isnan(s) else s
    return out


@cached_njit(nogil=True, inline="always")
def _median(buf, n, k, half):  # pragma: no cover - compiled
    """The median of buf[:n] (float32, NaN-free; buf is reordered): min/max for the windows of
    three and four stills that are the rule, an insertion sort otherwise."""
    if n == 3:
        a, b, c = buf[0], buf[1], buf[2]
        return max(min(a, b), min(max(a, b), c))
    if n == 4:  # the two middle values are max(lo1, lo2) and min(hi1, hi2)
        a, b, c, d = buf[0], buf[1], buf[2], buf[3]
        return (max(min(a, b), min(c, d)) + min(max(a, b), max(c, d))) * half
    for i in range(1, n):
        v = buf[i]
        j = i - 1
        while j >= 0 and buf[j] > v:
            buf[j + 1] = buf[j]
            j -= 1
        buf[j + 1] = v
    return buf[k] if n % 2 else (buf[k - 1] + buf[k]) * half


@cached_njit(nogil=True)
def _mean_still(frames, moved):  # pragma: no cover - compiled
    """frames (n, H, W, 3) float32, moved (n, H, W) uint8 (non-zero: the performer) ->
    (H, W, 3) float32: per pixel, the mean over the stills where it is finite and not moved
    (summed in float32 in still order, divided in float64); NaN where there is none."""
    n, h, w, _ = frames.shape
    out = np.empty((h, w, 3), np.float32)
    for y in range(h):
        for x in range(w):
            cnt = 0
            a0, a1, a2 = np.float32(0.0), np.float32(0.0), np.float32(0.0)
            for i in range(n):
                v0, v1, v2 = frames[i, y, x, 0], frames[i, y, x, 1], frames[i, y, x, 2]
                if moved[i, y, x] == 0 and np.isfinite(v0) and np.isfinite(v1) and np.isfinite(v2):
                    cnt += 1
                    a0 += v0
                    a1 += v1
                    a2 += v2
            if cnt == 0:
                out[y, x, 0] = out[y, x, 1] = out[y, x, 2] = np.nan
            else:
                out[y, x, 0] = np.float64(a0) / cnt
                out[y, x, 1] = np.float64(a1) / cnt
                out[y, x, 2] = np.float64(a2) / cnt
    return out
