"""Every pair of the trainee's sampled scenes compared with a gold step's change at once
(:func:`compare_pairs`, for :func:`.search.change_anywhere`).

A pair of scenes (i, j) is compared over the region's pixels that both show and where the
gold's change is known (all three channels finite), so each pair has its own pixels. Read at
the region's N pixels, the K scenes are P (K, N, 3), with masks M (K, N): 1 where seen, 0
where not, and Q = M * P. A sum over a pair's common pixels is then one entry of a matrix
product, e.g. sum_p M_ip M_jp P_jp = (M @ Q.T)[i, j] (channels summed first), and the
correlations, sizes and neighbour checks of all K x K pairs come from a dozen (K, N) x (N, K)
products (float64: the scenes are high-passed, values within a few hundred grey levels of 0, so
the sums of squares lose nothing that matters) instead of a Python loop over some 10^4 pairs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .pixel_ops import channels_finite, channels_sum
from .regions import REGION_FLOOR


@dataclass
class Pairs:
    """Per pair (i, j) of the K scenes, (K, K) (i < j meant; the rest is filled but unused):
    ``seen``: pixels both scenes and the gold's change show; over those, of the change
    P_j - P_i: ``agree``, its correlation with the gold's change, ``size``, its norm over the
    gold's, and ``vetoed``: a neighbouring step's change correlates with it better."""

    seen: np.ndarray
    agree: np.ndarray
    size: np.ndarray
    vetoed: np.ndarray


def compare_pairs(px: np.ndarray, change: np.ndarray, theirs: Sequence[np.ndarray] = ()) -> Pairs:
    """``px`` (K, N, 3): the scenes at the region's N pixels (NaN: not seen); ``change`` (N, 3):
    the gold step's change there; ``theirs``: the neighbouring steps' changes there (N, 3). A
    neighbour whose change over a pair's pixels is not all finite, or no bigger than the noise
    floor (mean ``REGION_FLOOR`` summed grey levels), leaves those pixels as they were: it
    vetoes nothing there."""
    k = len(px)
    seen = channels_finite(px) & channels_finite(change)  # (K, N)
    m = seen.astype(np.float64)
    q = np.zeros(px.shape)  # float64, 0 where not seen
    np.copyto(q, px, where=seen[..., None])
    n = m @ m.T  # pixels both see
    b = channels_sum(q) @ m.T  # b[i, j]: the sum of P_i where both see
    s_b = b.T - b  # of P_j - P_i
    d = channels_sum(q * q) @ m.T
    flat = q.reshape(k, -1)
    s_bb = d + d.T - 2.0 * (flat @ flat.T)
    # two scenes the same over their common pixels (the products' rounding aside: a change of
    # under 1e-5 of their size): no change at all, correlating 0 with anything, as a difference
    # of exactly 0 does pixel by pixel
    still = s_bb <= 1e-10 * (d + d.T)
    s_b[still], s_bb[still] = 0.0, 0.0
    with np.errstate(divide="ignore", invalid="ignore"):  # pairs that share no pixel: never read
        s_a, s_aa, s_ab = _with(m, q, _finite(change), still)
        agree = _correlation(3 * n, s_a, s_aa, s_b, s_bb, s_ab)
        size = np.sqrt(np.maximum(s_bb, 0.0)) / (np.sqrt(s_aa) + 1e-6)
        vetoed = np.zeros((k, k), bool)
        for o in theirs:
            r = _finite(o)
            unknown = (m * ~channels_finite(o)) @ m.T > 0
            quiet = (m * channels_sum(np.abs(r))) @ m.T / n < REGION_FLOOR
            s_o, s_oo, s_ob = _with(m, q, r, still)
            vetoed |= ~unknown & ~quiet & (_correlation(3 * n, s_o, s_oo, s_b, s_bb, s_ob) > agree)
    return Pairs(n, agree, size, vetoed)


def _finite(x: np.ndarray) -> np.ndarray:
    """(N, 3) float64, 0 where not finite (those pixels are never in a pair's sums)."""
    return np.where(np.isfinite(x), x, 0.0).astype(np.float64)


def _with(m: np.ndarray, q: np.ndarray, r: np.ndarray, still: np.ndarray) -> tuple[np.ndarray, ...]:
    """Sums over each pair's common pixels of a fixed change ``r`` (N, 3): of r, r^2 and
    r * (P_j - P_i) (0 for the pairs ``still``), channels summed."""
    a = channels_sum(q * r) @ m.T  # a[i, j]: the sum of r * P_i where both see
    return (m * channels_sum(r)) @ m.T, (m * channels_sum(r * r)) @ m.T, np.where(still, 0.0, a.T - a)


def _correlation(n, s_x, s_xx, s_y, s_yy, s_xy) -> np.ndarray:
    """Pearson correlation from sums over ``n`` values, as :func:`.regions.correlation` has it."""
    cov = s_xy - s_x * s_y / n
    var_x, var_y = np.maximum(s_xx - s_x * s_x / n, 0.0), np.maximum(s_yy - s_y * s_y / n, 0.0)
    return cov / (np.sqrt(var_x) * np.sqrt(var_y) + 1e-6)
