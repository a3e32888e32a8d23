"""Input checks for alignment: shapes, dtypes and finiteness, with one-line messages."""
from __future__ import annotations

import numpy as np

from ..errors import SopilotError


class AlignmentInputError(SopilotError, ValueError):
    """Embeddings or a cost matrix that cannot be aligned (empty, wrong shape, NaN/inf)."""

    reason = "bad_alignment_input"


def check_embeddings(x, name: str) -> np.ndarray:
    """x: (N, D) real array -> the same as a float32 C-contiguous array (no copy when possible)."""
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise AlignmentInputError(f"{name}: expected a 2-D (clips, dim) array, got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise AlignmentInputError(f"{name}: empty embeddings, shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise AlignmentInputError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise AlignmentInputError(f"{name}: contains NaN or infinite values")
    return arr


def check_cost(cost) -> np.ndarray:
    """cost: (N, M) real matrix -> float32 C-contiguous; rejects empty, NaN/inf and negatives."""
    arr = np.asarray(cost)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise AlignmentInputError(f"cost: expected a non-empty 2-D matrix, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise AlignmentInputError(f"cost: expected real numbers, got dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise AlignmentInputError("cost: contains NaN or infinite values")
    return arr
