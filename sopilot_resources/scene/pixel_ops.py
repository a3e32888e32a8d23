"""Element-wise operations on stacks of pictures that NumPy does slowly in general form: the
median of a few pictures, NaN filling, sums and checks over the three colour channels, and
each channel's median over a picture's seen pixels."""
from __future__ import annotations

import numpy as np

from ..align._jit import cached_njit

#: windows of up to this many stills are sorted by the min/max network
SORT_NET_MAX = 8


def median_first_axis(x: np.ndarray) -> np.ndarray:
    """``np.median(x, axis=0)`` for NaN-free ``x`` (n, ...): the same values, without
    ``np.median``'s NaN scan and float64 detour. A window holds a few stills, and sorting a
    few pictures element-wise (a min/max network over whole pictures) is ~40x faster than
    ``np.partition`` along the first axis (a third of the scene comparison's time went to it)."""
    n, k = len(x), len(x) // 2
    if 2 <= n <= SORT_NET_MAX:
        s = _sorted_first_axis(x)
        return s[k].copy() if n % 2 else (s[k - 1] + s[k]) * np.asarray(0.5, x.dtype)
    if n % 2:
        return np.partition(x, k, axis=0)[k]
    p = np.partition(x, [k - 1, k], axis=0)
    return (p[k - 1] + p[k]) * np.asarray(0.5, x.dtype)


def _sorted_first_axis(x: np.ndarray) -> list[np.ndarray]:
    """x (n, ...) -> its n slices sorted element-wise (odd-even transposition network: n
    rounds of compare-exchange of neighbours; exact, as each output is one of the inputs)."""
    s = [np.asarray(v) for v in x]
    for r in range(len(s)):
        for i in range(r % 2, len(s) - 1, 2):
            s[i], s[i + 1] = np.minimum(s[i], s[i + 1]), np.maximum(s[i], s[i + 1])
    return s


def fill_nan(x: np.ndarray, value: float) -> np.ndarray:
    """``np.nan_to_num(x, nan=value)`` for pictures, which hold no infinities (a third of the
    time: no scans for them)."""
    return np.where(np.isnan(x), value, x)


def channels_sum(x: np.ndarray) -> np.ndarray:
    """(..., 3) -> (...) ``x.sum(-1)``, the same values (a reduction over an axis of 3 is slow)."""
    return x[..., 0] + x[..., 1] + x[..., 2]


def channels_finite(x: np.ndarray) -> np.ndarray:
    """(..., 3) -> (...) ``np.isfinite(x).all(-1)``."""
    f = np.isfinite(x)
    return f[..., 0] & f[..., 1] & f[..., 2]


def seen_median(img: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """(3,) ``np.median(img[~bad], axis=0)`` for a picture ``img`` (H, W, 3) and ``bad`` (H, W)
    bool, the same values and dtype (``bad`` all True: NaN, as NumPy gives it). A float32
    picture of finite values >= 0 off ``bad`` (a settled or registered scene) is read by
    :func:`_seen_middles`, without copying its pixels out and partitioning them (a 640 px
    scene: 6 ms of its light flattening's 13); anything else by ``np.median``."""
    if img.dtype == np.float32 and img.ndim == 3 and img.shape[2] == 3 and bad.shape == img.shape[:2]:
        n, lo, hi = _seen_middles(np.ascontiguousarray(img), np.ascontiguousarray(bad, np.bool_))
        if n > 0:  # as np.median: the mean of the middle one or two, in float32
            return np.mean(np.stack([lo, hi]) if n % 2 == 0 else lo[None], axis=0)
    return np.median(img[~bad], axis=0)


@cached_njit(nogil=True)
def _seen_middles(img, bad):  # pragma: no cover - compiled
    """img (H, W, 3) float32, bad (H, W) bool -> (n, lo (3,), hi (3,)): n the pixels off
    ``bad``, lo and hi each channel's values of ranks (n - 1) // 2 and n // 2 among them; n = 0
    when there are none, or when one of their values is not a finite float >= 0 (-0.0 too: the
    caller then asks NumPy). Non-negative float32s sort as their bits do: a histogram of the
    bits' top 16 finds the bins the ranks fall in, one of the low 16 bits of the lower bin's
    values the values (the higher rank, in a bin of its own, is that bin's least value)."""
    h, w, _ = img.shape
    bits = img.reshape(h * w * 3).view(np.uint32)
    off = bad.reshape(h * w)
    inf = np.uint32(0x7F800000)  # inf; NaN and every negative value (-0.0 too) above it
    counts = np.zeros((3, 1 << 16), np.int64)
    lo, hi = np.zeros(3, np.float32), np.zeros(3, np.float32)
    n = 0
    for p in range(h * w):
        if off[p]:
            continue
        n += 1
        for c in range(3):
            b = bits[3 * p + c]
            if b > inf:
                return 0, lo, hi
            counts[c, b >> np.uint32(16)] += 1
    if n == 0:
        return 0, lo, hi
    k_lo, k_hi = (n - 1) // 2, n // 2
    lo_top, hi_top, base = np.zeros(3, np.uint32), np.zeros(3, np.uint32), np.zeros(3, np.int64)
    for c in range(3):
        found, cum = False, 0
        for i in range(1 << 16):
            if not found and cum + counts[c, i] > k_lo:
                lo_top[c], base[c], found = np.uint32(i), cum, True
            if cum + counts[c, i] > k_hi:
                hi_top[c] = np.uint32(i)
                break
            cum += counts[c, i]
    low = np.zeros((3, 1 << 16), np.int64)
    out = np.full((2, 3), np.uint32(0xFFFFFFFF), np.uint32)  # [0]: rank k_lo, [1]: k_hi
    for p in range(h * w):
        if off[p]:
            continue
        for c in range(3):
            b = bits[3 * p + c]
            top = b >> np.uint32(16)
            if top == lo_top[c]:
                low[c, b & np.uint32(0xFFFF)] += 1
            elif top == hi_top[c] and b < out[1, c]:
                out[1, c] = b
    for c in range(3):
        r_lo, r_hi, cum = k_lo - base[c], k_hi - base[c], 0
        for i in range(1 << 16):
            if cum <= r_lo < cum + low[c, i]:
                out[0, c] = (lo_top[c] << np.uint32(16)) | np.uint32(i)
            if cum <= r_hi < cum + low[c, i]:  # both ranks in the lower bin
                out[1, c] = (lo_top[c] << np.uint32(16)) | np.uint32(i)
                break
            cum += low[c, i]
    vals = out.view(np.float32)
    lo[:], hi[:] = vals[0], vals[1]
    return n, lo, hi
