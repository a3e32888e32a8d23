"""How much the hands move in each clip, and which still stretches are pauses.

The ingest motion meter (``ClipEmbeddings.motion``) is a whole-frame mean difference: in a
wide view where the hands are small, sensor noise and codec flicker are as large as the
work, and a pause hardly shows. The "color-motion" embedder keeps a better measure in its
vectors: its motion blocks (``energy``: camera-compensated difference energy above the
frame's median cell; ``flow``: residual optical flow) are soft-normalised, ``v / (|v| +
floor)``, so their length relative to an appearance block (normalised to exactly its
weight) gives back the raw motion level. On the demo set a pause is 5-10x below work
with it, against 1.5-2x with the meter.

A still stretch between steps is a pause (``long_idle``); one inside a step's span with
that step's work on both sides is the step done slowly (:func:`mid_step`).
"""
from __future__ import annotations

import numpy as np

from ..embeddings import ClipEmbeddings
from .timeline import Timeline, runs


def block_level(vectors: np.ndarray, name: str, blocks: dict, weights: dict, floors: dict,
                ref: str = "hog") -> np.ndarray:
    """(N, D) color-motion vectors -> (N,) raw norm of a soft-normalised block."""
    unit = np.linalg.norm(vectors[:, blocks[ref]], axis=1) / max(weights[ref], 1e-6)
    r = np.linalg.norm(vectors[:, blocks[name]], axis=1) / max(weights[name], 1e-6) / np.maximum(unit, 1e-9)
    r = np.clip(r, 0.0, 0.999)
    return floors[name] * r / (1.0 - r)


def clip_motion(emb: ClipEmbeddings) -> np.ndarray:
    """(N,) motion level per clip: for "color-motion" vectors, the sum of the energy and flow
    levels each relative to its median over the video; otherwise the ingest meter."""
    ident = emb.embedder or {}
    if ident.get("name") != "color-motion" or len(emb) < 2:
        return np.asarray(emb.motion, float)
    from ..embedders.color_motion import BLOCKS, DEFAULT_WEIGHTS, MOTION_FLOOR

    weights = {**DEFAULT_WEIGHTS, **(ident.get("weights") or {})}
    if min(weights["hog"], weights["energy"], weights["flow"]) <= 0:
        return np.asarray(emb.motion, float)
    x = np.asarray(emb.vectors, float)
    out = np.zeros(len(x))
    for name in ("energy", "flow"):
        lv = block_level(x, name, BLOCKS, weights, MOTION_FLOOR)
        out += lv / max(float(np.median(lv)), 1e-9)
    return out


def close_gaps(mask: np.ndarray, max_gap: int) -> np.ndarray:
    """(N,) bool -> (N,) bool with runs of at most ``max_gap`` False between two True runs
    set True (a pause is not ended by a twitch)."""
    out = np.asarray(mask, bool).copy()
    j = np.flatnonzero(out)
    for a, b in zip(j[:-1], j[1:]):
        if 1 < b - a <= max_gap + 1:
            out[a:b] = True
    return out


#: a pause with at least this much of one step's work on both sides (seconds, and share of
#: the gold step's duration) is part of that step (a slow execution), not an idle pause
MID_WORK_SEC, MID_WORK_SHARE = 1.5, 0.3


def mid_step(idle: np.ndarray, status: list, tl: Timeline) -> np.ndarray:
    """idle (M,) bool, status: the steps' :class:`.pair_evidence.StepStatus` -> (M,) bool:
    still clips inside a found step's span with enough of its work on both sides."""
    out = np.zeros(len(idle), bool)
    for s in status:
        if not s.found:
            continue
        a, b = s.where.start, s.where.end
        need = max(MID_WORK_SEC, MID_WORK_SHARE * s.step.duration)
        for j0, j1 in runs(idle[a:b]):
            if tl.seconds(int((~idle[a:a + j0]).sum())) >= need and tl.seconds(int((~idle[a + j1:b]).sum())) >= need:
                out[a + j0:a + j1] = True
    return out
