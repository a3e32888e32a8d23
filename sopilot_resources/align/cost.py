"""Cosine cost between clip embeddings: ``1 - a_i . b_j`` on L2-normalised rows, float32.

Costs are clipped to [0, 2] (rounding can push a self-match a hair below 0). A zero row
(e.g. a black clip from an embedder that outputs zeros) has no direction: it is left as zeros,
so its cost to every clip is exactly 1 (orthogonal), never NaN.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .validate import AlignmentInputError, check_embeddings

#: default byte budget of one float32 cost block in the row-blocked path (32 MiB)
DEFAULT_BLOCK_BYTES = 32 * 1024 * 1024


def l2_normalize(x, name: str = "x") -> np.ndarray:
    """x: (N, D) -> (N, D) float32 with unit-norm rows; zero rows stay zero. Validates input."""
    x = check_embeddings(x, name)
    norms = np.sqrt(np.einsum("ij,ij->i", x, x, dtype=np.float64))
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return (x * scale[:, None].astype(np.float32)).astype(np.float32, copy=False)


def block_rows(m: int, block_bytes: int = DEFAULT_BLOCK_BYTES) -> int:
    """How many cost rows of length ``m`` (float32) fit in ``block_bytes`` (at least 1)."""
    return max(1, int(block_bytes) // (4 * max(1, int(m))))


def cost_block(an: np.ndarray, bn: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """an: (B, D), bn: (M, D) unit rows -> (B, M) float32 ``clip(1 - an @ bn.T, 0, 2)`` (one GEMM)."""
    c = np.matmul(an, bn.T, out=out)
    np.subtract(np.float32(1.0), c, out=c)
    np.clip(c, 0.0, 2.0, out=c)
    return c


def iter_cost_blocks(an: np.ndarray, bn: np.ndarray, rows: int) -> Iterator[tuple[int, np.ndarray]]:
    """Yields (i0, cost[i0:i0+rows]) for unit-row an (N, D), bn (M, D); one reused buffer."""
    n, m = an.shape[0], bn.shape[0]
    buf = np.empty((min(rows, n), m), dtype=np.float32)
    for i0 in range(0, n, rows):
        i1 = min(n, i0 + rows)
        yield i0, cost_block(an[i0:i1], bn, out=buf[: i1 - i0])


def normalize_pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    """a: (N, D), b: (M, D) -> both validated and L2-normalised (float32); same D required."""
    an, bn = l2_normalize(a, "a"), l2_normalize(b, "b")
    if an.shape[1] != bn.shape[1]:
        raise AlignmentInputError(f"embedding dims differ: a has {an.shape[1]}, b has {bn.shape[1]}")
    return an, bn


def cosine_cost(a, b) -> np.ndarray:
    """a: (N, D), b: (M, D) -> (N, M) float32 cosine cost in [0, 2]. Holds the full matrix."""
    return cost_block(*normalize_pair(a, b))
