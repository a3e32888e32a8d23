"""What-if variants of the gold steps the engine detects, for measuring (never the engine).

``bench_accuracy.py --detected-steps`` scores with the steps ``detect_steps`` finds in each
gold. These variants swap that detection for the length of one pair's scoring
(:func:`detected_steps_as`), so that what a better segmentation would be worth is measured on
the whole engine, not only as boundary recall (docs/bench/accuracy.md, "Stop 40"):

- ``signal="energy"``: the Foote novelty of the colour-motion vectors' motion-energy block
  alone (where in the picture the hands move, on an 8x8 grid), instead of the whole vector
  (:func:`block_steps`; ``probe_step_signal.py`` measures the boundaries of every block);
- ``edges``: the first detected step starts, and the last one ends, where the gold's step file
  says (the lead-in before the first step's work and the tail after the last one trimmed, as a
  perfect detector of them would);
- :func:`work_only`: both videos cut to their work, from the first step's start to the last
  one's end (the gold's step file, the trainee's true segments): the rest before and after
  removed from both, as a perfect detector of it would.
"""
from __future__ import annotations

import contextlib
import functools
from dataclasses import replace

import numpy as np

from sopilot_resources.scoring import build_pair
from sopilot_resources.scoring.steps import detect_steps

SIGNALS = ("clips", "energy")


def block_steps(vectors: np.ndarray, starts: np.ndarray, ends: np.ndarray, block: str = "energy") -> list:
    """``detect_steps`` on one block of colour-motion vectors (N, 1264) (``BLOCKS[block]``);
    other vectors (another embedder) whole."""
    from sopilot_resources.embedders.color_motion import BLOCKS

    x = np.asarray(vectors, float)
    if x.shape[1] >= BLOCKS[block].stop:
        x = x[:, BLOCKS[block]]
    return detect_steps(x, starts, ends)


def detector(signal: str):
    """How gold steps are detected from ``signal``: ``clips`` the engine's ``detect_steps``, a
    block name (``energy``, ``flow``, ...) :func:`block_steps` on that block; called as
    ``detect_steps(vectors, starts, ends)``."""
    return detect_steps if signal == "clips" else functools.partial(block_steps, block=signal)


def work_span(segments: list[dict]) -> tuple[float, float]:
    """(start, end) s of a demo video's work: its first and last segment that is not a pause
    (the manifest's ``segments``: ``role``, ``start_sec``, ``end_sec``)."""
    work = [g for g in segments if g.get("role") != "idle"]
    return float(work[0]["start_sec"]), float(work[-1]["end_sec"])


def work_only(emb, span: tuple[float, float]):
    """``emb`` (ClipEmbeddings) cut to the clips centred in ``span`` s and the stills under
    them (``cycles.slicing.time_slice``: the video's own seconds kept)."""
    from sopilot_resources.cycles.slicing import time_slice

    return time_slice(emb, *span)[0]


def with_edges(steps: list, truth: list) -> list:
    """``steps`` with the first one starting where ``truth``'s first does and the last ending
    where its last does (each only where that leaves the step at least 0.5 s)."""
    out = list(steps)
    if len(out) < 2:
        return out
    a, b = truth[0].start_sec, truth[-1].end_sec
    if a < out[0].end_sec - 0.5:
        out[0] = replace(out[0], start_sec=a)
    if b > out[-1].start_sec + 0.5:
        out[-1] = replace(out[-1], end_sec=b)
    return out


@contextlib.contextmanager
def detected_steps_as(signal: str = "clips", edges: list | None = None):
    """Within the block, the engine's pair evidence (``build_pair.build_evidence``) detects
    gold steps by ``signal`` (:data:`SIGNALS`), their outer edges taken from ``edges`` (a
    gold's true steps) when given. ``clips`` without ``edges``: the engine as it is."""
    if signal == "clips" and edges is None:
        yield
        return
    detect = detector(signal)

    def variant(vectors, starts, ends):
        steps = detect(vectors, starts, ends)
        return with_edges(steps, edges) if edges is not None else steps

    saved = build_pair.detect_steps
    build_pair.detect_steps = variant
    try:
        yield
    finally:
        build_pair.detect_steps = saved
