"""Result of aligning two clip sequences."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Alignment:
    """path: (K, 2) int64 pairs (i gold clip, j trainee clip), monotone, from (0, 0) to (N-1, M-1).
    total_cost: accumulated cost along the path; normalized_cost: total_cost / K.
    backend: which DP backend produced it ("numba", "torch-cpu" or "torch-cuda")."""

    path: np.ndarray
    total_cost: float
    normalized_cost: float
    backend: str
    shape: tuple[int, int]
