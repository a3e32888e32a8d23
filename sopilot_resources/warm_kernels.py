"""Load the numba kernels a score runs, ahead of use, from numba's on-disk cache.

A cold process pays ~0.3-0.4 s the first time it calls the kernels (numba sets up its typing
and target context, then loads each compiled kernel from ``__pycache__``), even though the
work on a 30 s pair takes milliseconds. :func:`warm_kernels` calls each kernel once on tiny
inputs of exactly the types the engine passes it (C-contiguous float32 costs, float64 DP rows,
uint8 directions, int64 and bool scalars), through the same public functions, so the
overloads it loads are the ones a score then uses: the CLI runs it in its background thread
while the videos decode (``score_files.warm_engine``). The kernels are pure functions of their
inputs: warming changes no result, only when the loading is paid.
"""
from __future__ import annotations

import numpy as np


def _unit_rows(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """(n, d) float32 rows of unit length, as ``align.cost.l2_normalize`` gives them."""
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def warm_kernels() -> None:
    """Runs every numba kernel of a one-cycle score once on tiny inputs: the steps' peak
    prominences (``scoring.peaks``), the DTW of the alignment (``dp_block`` with similarity rows,
    ``traceback``), the subsequence matches of the steps (``subsequence_dp``, ``_greedy_pick``),
    the cycle search (``cyclic_path``), the settled scenes of the pictures (``scene.settle``),
    the NaN fill of their light flattening (``scene.pixel_ops.seen_median``) and the lasting check of a fixed gold camera's step changes (``closer_count``, ``like_count``, on a
    timeline read at some of its pixels, as ``gold_changes`` reads it)."""
    from .align.dtw_numba import dtw_embeddings_numba
    from .align.subsequence import matches_from_cost
    from .cycles.find import find_cycles
    from .scene.lasting import closer, looks_like
    from .scene.pixel_ops import seen_median
    from .scene.settle import settled
    from .scoring.peaks import prominences

    rng = np.random.default_rng(0)
    a, b = _unit_rows(rng, 4, 8), _unit_rows(rng, 6, 8)
    prominences(np.array([0.0, 1.0, 0.0]), np.array([1], np.int64))
    dtw_embeddings_numba(a, b)
    matches_from_cost(np.clip(1.0 - a @ b.T, 0.0, 2.0).astype(np.float32), k=1)
    find_cycles(a[:2], b, np.arange(len(b), dtype=np.float64))
    scene = settled(rng.uniform(0, 255, (3, 8, 8, 3)).astype(np.float32))
    seen_median(scene, np.arange(64).reshape(8, 8) % 3 == 0)  # a scene with pixels never seen
    stills = rng.normal(size=(4, 5, 3)).astype(np.float32)  # (K, M, 3): a timeline, read at some pixels
    at = np.array([0, 2, 4])
    closer(stills[1:], stills[0, at], stills[-1, at], at)
    looks_like(stills[1:], stills[0, at], stills[-1, at], at)
