"""The engine's vector preparation (``scoring.evidence.prepare``) for a long recording, a window
at a time: the per-dimension mean and spread of the smoothed vectors are gathered in one pass
over chunks, then any window is smoothed (with the filter's margin) and standardised with them.
Memory: a chunk, not the recording (beside its raw vectors)."""
from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

CHUNK = 4096


class StreamPrepared:
    """rows(a, b) -> (b - a, D) float32 unit rows, as ``prepare(x)[a:b]`` (up to rounding)."""

    def __init__(self, x: np.ndarray, hop_sec: float, smooth_sec: float = 2.0,
                 blocks: list[tuple[slice, float]] | None = None, chunk: int = CHUNK):
        self.x = x
        self.width = int(round(smooth_sec / max(hop_sec, 1e-3))) | 1
        self.blocks = blocks or ()
        n = len(x)
        s1 = np.zeros(x.shape[1])
        s2 = np.zeros(x.shape[1])
        for a in range(0, n, chunk):
            sm = self._smooth(a, min(n, a + chunk)).astype(np.float64)
            s1 += sm.sum(axis=0)
            s2 += np.einsum("ij,ij->j", sm, sm)
        self.mean = (s1 / n).astype(np.float32)
        self.std = (np.sqrt(np.maximum(s2 / n - (s1 / n) ** 2, 0.0)) + 1e-3).astype(np.float32)

    def __len__(self) -> int:
        return len(self.x)

    def _smooth(self, a: int, b: int) -> np.ndarray:
        n, w = len(self.x), self.width
        if w <= 1 or n <= 1:
            return np.asarray(self.x[a:b], np.float32)
        w = min(w, n | 1)
        pad = w // 2
        lo, hi = max(0, a - pad), min(n, b + pad)
        part = np.asarray(self.x[lo:hi], np.float32)
        part = np.concatenate([np.repeat(part[:1], pad - (a - lo), 0), part, np.repeat(part[-1:], pad - (hi - b), 0)])
        return uniform_filter1d(part, size=w, axis=0, mode="nearest")[pad:pad + b - a]

    def rows(self, a: int, b: int) -> np.ndarray:
        z = (self._smooth(a, b) - self.mean) / self.std
        for sl, wt in self.blocks:
            z[:, sl] *= np.float32(wt / np.sqrt(max(1, sl.stop - sl.start)))
        return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-6)
