"""Probe helper (not part of the engine): a trainee's "color-motion" clip vectors laid out as
the gold's camera would have seen them (``probe_clip_layout.py``; tried and not adopted,
docs/bench/accuracy.md "Clip layout round").

Every block of the "color-motion" vector (:mod:`.color_motion`) is a grid of cells over the
frame (8x8 and 4x4 cells; every frame squashed to one size), with a value or a histogram per
cell. A trainee camera put down a few centimetres to the side, zoomed or rolled shifts the
work from one cell to the next, and a step's clips then look unlike the gold's though the same
work is done at the same place. Given where each gold pixel lies in the trainee's view (the
homography of a fixed camera's registration, ``sopilot_resources.scene.register``), each gold cell takes
the trainee's features at the point it sees, interpolated between the four nearest trainee
cells (bilinear); a cell the trainee does not see gets zero (the video's mean clip, after the
appearance blocks' centring). Each block keeps its length, so every row's norm and the motion
level read back from the vectors (``scoring/motion.py``) stay as they were.

Plain functions on arrays; the identity homography gives the vectors back unchanged.
"""
from __future__ import annotations

import numpy as np

from sopilot_resources.embedders.color_motion import BLOCKS
from sopilot_resources.embedders.frame_features import FLOW_BINS, FLOW_GRID, GRID, HOG_BINS

_FINE, _COARSE = GRID * GRID, (GRID // 2) ** 2


def _parts() -> list[tuple[slice, list[tuple[int, int, int, int]]]]:
    """Per block of the vector (the embedder's ``BLOCKS``): its slice and its grids, each (first
    index, cells per side, values per cell, cells) in the order ``frame_features`` writes them:
    every appearance block and the motion energy hold the 8x8 cells then the 4x4 ones, the
    flow 4x4 cells of direction bins, the dynamics the coarse chroma, luma and gradients."""
    fine, coarse = (GRID, _FINE), (GRID // 2, _COARSE)

    def grids(start: int, per: int, *sides) -> list[tuple[int, int, int, int]]:
        out = []
        for side, cells in sides:
            out.append((start, side, per, cells))
            start += cells * per
        return out

    per = {"chroma": 2, "luma": 1, "hog": HOG_BINS, "energy": 1}
    out = [(BLOCKS[n], grids(BLOCKS[n].start, k, fine, coarse)) for n, k in per.items()]
    flow, dyn = BLOCKS["flow"], BLOCKS["dynamics"].start
    out.append((flow, grids(flow.start, FLOW_BINS, (FLOW_GRID, FLOW_GRID ** 2))))
    out.append((BLOCKS["dynamics"], grids(dyn, 2, coarse) + grids(dyn + 2 * _COARSE, 1, coarse)
                + grids(dyn + 3 * _COARSE, HOG_BINS, coarse)))
    for sl, gs in out:  # the grids fill each block exactly
        assert sum(c * k for _, _, k, c in gs) == sl.stop - sl.start, sl
    return out


def cell_map(warp: np.ndarray, size: tuple[int, int], side: int) -> np.ndarray:
    """(side², side²) M: gold cell k = sum_j M[k, j] trainee cell j, for a grid of side x side
    cells (row-major) over frames of ``size`` = (W, H) px; ``warp`` (3, 3) takes gold pixels to
    the trainee's. Rows of cells the trainee does not see are zero."""
    w, h = size
    r, c = np.divmod(np.arange(side * side), side)
    pts = np.stack([(c + 0.5) / side * w, (r + 0.5) / side * h, np.ones(side * side)])
    p = warp @ pts
    u, v = p[0] / p[2] / w * side - 0.5, p[1] / p[2] / h * side - 0.5  # trainee cell coordinates
    seen = (u >= -0.5) & (u <= side - 0.5) & (v >= -0.5) & (v <= side - 0.5)
    u, v = np.clip(u, 0, side - 1), np.clip(v, 0, side - 1)
    c0, r0 = np.minimum(np.floor(u), side - 2).astype(int), np.minimum(np.floor(v), side - 2).astype(int)
    fu, fv = u - c0, v - r0
    out = np.zeros((side * side, side * side))
    rows = np.arange(side * side)
    for dr, dc, wt in ((0, 0, (1 - fu) * (1 - fv)), (0, 1, fu * (1 - fv)), (1, 0, (1 - fu) * fv), (1, 1, fu * fv)):
        np.add.at(out, (rows, (r0 + dr) * side + c0 + dc), wt)
    out[~seen] = 0.0
    return out


def warp_vectors(vectors: np.ndarray, warp: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(N, D) "color-motion" clip vectors -> (N, D) float32, each cell's features taken where
    ``warp`` (3, 3: gold pixels -> trainee pixels, frames of ``size`` = (W, H) px) says the gold's
    cell lies in the trainee's view; each block rescaled to its former length."""
    x = np.asarray(vectors, np.float32)
    out = x.copy()
    maps = {s: cell_map(np.asarray(warp, float), size, s) for s in {GRID, GRID // 2, FLOW_GRID}}
    for block, grids in _parts():
        for start, side, per, cells in grids:
            cur = x[:, start:start + cells * per].reshape(len(x), cells, per)
            out[:, start:start + cells * per] = np.einsum("kj,njp->nkp", maps[side], cur).reshape(len(x), -1)
        before = np.linalg.norm(x[:, block], axis=1, keepdims=True)
        after = np.linalg.norm(out[:, block], axis=1, keepdims=True)
        out[:, block] *= before / np.maximum(after, 1e-12)
    return out
