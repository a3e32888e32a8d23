"""DTW with torch: float32 cost GEMM and an anti-diagonal wavefront DP on the device.

The same recurrence, float64 accumulation and tie-break (diagonal, up, left; strictly smaller
wins) as ``dtw_numba``, so for the same cost matrix it returns the same path bit for bit.
Rows are processed in bands: per band one GEMM gives a (B, M) float32 cost block, then the
B + M - 1 anti-diagonals of the band are swept, each as a handful of vector kernels over
strided views (no gather, no Python loop over cells). The band's uint8 directions go to a host
(N, M) matrix and the traceback runs on the CPU (``dtw_numba.traceback``). Works on any torch
device; CI runs it on ``cpu``, a GPU host on ``cuda``. torch is imported lazily by the caller.
"""
from __future__ import annotations

import numpy as np

from .dtw_numba import traceback

#: default byte budget of one float32 cost band on the device (512 MiB)
DEFAULT_BAND_BYTES = 512 * 1024 * 1024


def _band_dp(torch, cost, top, dirs_out):
    """cost: (B, M) float32 device; top: (M+1,) float64 device = row above (entry 0: column -1);
    dirs_out: (B, M) uint8 device, filled. Returns the band's last row as (M+1,) float64."""
    b, m = cost.shape
    assert cost.is_contiguous() and dirs_out.is_contiguous() and dirs_out.storage_offset() == 0
    dev, inf = cost.device, float("inf")
    bufs = [torch.full((b + 2,), inf, dtype=torch.float64, device=dev) for _ in range(3)]
    bufs[0][0] = top[0]  # diagonal -2 holds D[-1, -1]
    bufs[1][0] = top[1]  # diagonal -1 holds D[-1, 0]
    last = torch.full((m + 1,), inf, dtype=torch.float64, device=dev)
    m1 = torch.empty(b, dtype=torch.float64, device=dev)
    lt = torch.empty(b, dtype=torch.bool, device=dev)
    code = torch.empty(b, dtype=torch.uint8, device=dev)
    two = torch.tensor(2, dtype=torch.uint8, device=dev)
    stride, base = m - 1, cost.storage_offset()
    for k in range(b + m - 1):
        dkm2, dkm1, dk = bufs[k % 3], bufs[(k + 1) % 3], bufs[(k + 2) % 3]
        lo, hi = max(0, k - m + 1), min(b - 1, k)
        n = hi - lo + 1
        diag, up, left = dkm2[lo : hi + 1], dkm1[lo : hi + 1], dkm1[lo + 1 : hi + 2]
        c = cost.as_strided((n,), (stride,), base + lo * stride + k)
        d = dirs_out.as_strided((n,), (stride,), lo * stride + k)
        mm, l_, cd = m1[:n], lt[:n], code[:n]
        torch.minimum(diag, up, out=mm)
        torch.lt(up, diag, out=l_)
        cd.copy_(l_)
        torch.lt(left, mm, out=l_)
        torch.where(l_, left, mm, out=mm)
        torch.where(l_, two, cd, out=cd)
        d.copy_(cd)
        torch.add(mm, c, out=dk[lo + 1 : hi + 2])
        dk[hi + 2] = inf
        if lo == 0:  # row -1 of this diagonal: D[-1, k + 1] from the band above
            dk[0] = top[k + 2] if k + 2 <= m else inf
        if hi == b - 1:
            last[k - b + 2] = dk[b]
    return last


def dtw_embeddings_torch(an: np.ndarray, bn: np.ndarray, device: str,
                         band_bytes: int = DEFAULT_BAND_BYTES):
    """an: (N, D), bn: (M, D) unit rows (numpy float32) -> (path (K, 2) int64, total float)."""
    import torch

    n, m = an.shape[0], bn.shape[0]
    dev = torch.device(device)
    ta = torch.from_numpy(an).to(dev)
    tb = torch.from_numpy(bn).to(dev)
    dirs = np.empty((n, m), np.uint8)
    rows = max(1, int(band_bytes) // (4 * m))
    top = torch.full((m + 1,), float("inf"), dtype=torch.float64, device=dev)
    top[0] = 0.0
    with torch.no_grad():
        for i0 in range(0, n, rows):
            i1 = min(n, i0 + rows)
            cost = (ta[i0:i1] @ tb.T).neg_().add_(1.0).clamp_(0.0, 2.0)  # (B, M) fp32, in place
            band_dirs = torch.empty((i1 - i0, m), dtype=torch.uint8, device=dev)
            top = _band_dp(torch, cost, top, band_dirs)
            top[0] = float("inf")
            dirs[i0:i1] = band_dirs.cpu().numpy()
    total = float(top[m].item())
    return traceback(dirs), total


def dtw_cost_torch(cost: np.ndarray, device: str) -> tuple[np.ndarray, float]:
    """cost: (N, M) float32, validated -> (path, total); the DP on ``device``."""
    import torch

    n, m = cost.shape
    dev = torch.device(device)
    top = torch.full((m + 1,), float("inf"), dtype=torch.float64, device=dev)
    top[0] = 0.0
    band_dirs = torch.empty((n, m), dtype=torch.uint8, device=dev)
    with torch.no_grad():
        last = _band_dp(torch, torch.from_numpy(cost).to(dev).contiguous(), top, band_dirs)
    return traceback(band_dirs.cpu().numpy()), float(last[m].item())
