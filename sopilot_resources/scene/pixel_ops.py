"""Element-wise operations on stacks of pictures that NumPy does slowly in general form: the
median of a few pictures, NaN filling, sums and checks over the three colour channels, and
the middle values of many non-negative ones (the performer threshold's median of a window's
deviations, each channel's median over a picture's seen pixels) without sorting them."""
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
    picture of finite values >= 0 off ``bad`` (a settled or registered scene) is read channel by
    channel by :func:`middle_pair` (``bad`` pixels made inf, which it leaves out), without
    partitioning its pixels (a 640 px scene: 6 ms of its light flattening's 13); anything else
    (a seen value it leaves out too: NaN, inf, a negative value or -0.0) by ``np.median``."""
    seen = int(bad.size - np.count_nonzero(bad))
    if img.dtype == np.float32 and img.ndim == 3 and img.shape[2] == 3 and bad.shape == img.shape[:2] and seen:
        lo, hi = np.empty(3, np.float32), np.empty(3, np.float32)
        for c in range(3):
            n, lo[c], hi[c] = middle_pair(np.where(bad, np.float32(np.inf), img[..., c]).ravel())
            if n != seen:
                break
        else:  # as np.median: the mean of the middle one or two, in float32
            return np.mean(np.stack([lo, hi]) if seen % 2 == 0 else lo[None], axis=0)
    return np.median(img[~bad], axis=0)


@cached_njit(nogil=True)
def middle_pair(dev):  # pragma: no cover - compiled
    """dev (N,) float32 -> (count of its finite values >= 0, the values of ranks (count - 1) // 2
    and count // 2 among them; NaN, inf and negative values are left out). Non-negative float32s sort as their bits do:
    a histogram of the bits' top 16 finds the bins those ranks fall in, and a histogram of the
    low 16 bits of the values in the lower one the values themselves (the higher rank, in a
    bin of its own, is that bin's least value). No sort: a 640 px window's middle bin held
    25,000 values of a few hundred distinct ones."""
    flat = dev.ravel()
    bits = flat.view(np.uint32)
    inf = np.uint32(0x7F800000)  # inf (and NaN, and any negative value) at or above
    counts = np.zeros(1 << 16, np.int64)
    n = 0
    for b in bits:
        if b < inf:
            counts[b >> 16] += 1
            n += 1
    if n == 0:
        return 0, np.float32(0.0), np.float32(0.0)
    k_lo, k_hi = (n - 1) // 2, n // 2
    b_lo, b_hi, base, cum = -1, -1, 0, 0
    for i in range(1 << 16):
        if b_lo < 0 and cum + counts[i] > k_lo:
            b_lo, base = i, cum
        if cum + counts[i] > k_hi:
            b_hi = i
            break
        cum += counts[i]
    # compared as uint32 throughout (a uint32 shifted and compared with int64 bin numbers took
    # several times as long a value)
    lo_top, hi_top = np.uint32(b_lo), np.uint32(b_hi)
    low = np.zeros(1 << 16, np.int64)
    least = np.uint32(0xFFFFFFFF)
    for b in bits:
        top = b >> np.uint32(16)
        if top == lo_top:
            low[b & np.uint32(0xFFFF)] += 1
        elif top == hi_top and b < least:
            least = b
    out = np.empty(2, np.uint32)
    out[1] = least
    r_lo, r_hi, cum = k_lo - base, k_hi - base, 0
    for i in range(1 << 16):
        if cum <= r_lo < cum + low[i]:
            out[0] = (lo_top << np.uint32(16)) | np.uint32(i)
        if cum <= r_hi < cum + low[i]:  # both ranks in the lower bin
            out[1] = (lo_top << np.uint32(16)) | np.uint32(i)
            break
        cum += low[i]
    vals = out.view(np.float32)
    return n, vals[0], vals[1]
